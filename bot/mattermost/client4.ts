// @mattermost/client is CommonJS without named ESM exports: take Client4 from its default export.
import mattermostClient from "@mattermost/client";

export const { Client4, ClientError } = mattermostClient;
export type Client4 = InstanceType<typeof Client4>;
