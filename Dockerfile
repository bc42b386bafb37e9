# The soc-fleet image: every component runs from it as `node dist/fleet/run.js <component>`
# (helm/soc-fleet). The Falco project's rules tooling and rulesets come from ../shared beside the
# checkout, as a second build context:
# `docker build --build-context shared=../shared -t ghcr.io/soc-fleet/soc-fleet:<version> .`; the
# pre-filter's training image (Python and scikit-learn for the weekly CronJob) is the `training`
# target: the same with `--target training -t ghcr.io/soc-fleet/soc-fleet:<version>-training`.

# Production dependencies only. better-sqlite3 compiles with node-gyp when its prebuilt binary
# cannot be fetched, hence the toolchain in this stage alone.
FROM node:20-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The TypeScript build, with the dev dependencies (tsc) that never reach the image.
FROM deps AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY contracts contracts
COPY runtime runtime
COPY agents agents
COPY bot bot
COPY commands commands
COPY fleet fleet
COPY bench bench
RUN npx tsc -p tsconfig.build.json

# falco-lang, the Falco project's rules validator (falco-lsp), for the rules agent's drafts.
FROM golang:1.26 AS falco-lang
WORKDIR /src
COPY --from=shared vendor/falco-lsp .
RUN CGO_ENABLED=0 go build -trimpath -o /out/falco-lang ./cmd/falco-lang

# What every component needs at run time: the build, production node_modules, package.json (it
# makes dist/ ESM), and the files the processes read beside the code: every agent-config.yaml
# (agents/<name>/), the pre-filter's model, policies/ (the Wasm evaluator's bundle) and the `soc`
# command. test/image.test.ts looks for each where the code does.
FROM node:20-slim AS app
ENV NODE_ENV=production
WORKDIR /app
# git: the rules agent pushes its proposals' branches.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates \
  && rm -rf /var/lib/apt/lists/*
# The rules agent's checks: falco-lang, the official rulesets, Falco's rules schema and falco-lsp's
# field catalogues, laid out as ../shared (SOC_FALCO_DATA).
COPY --from=falco-lang /out/falco-lang /usr/local/bin/falco-lang
COPY --from=shared vendor/falco-rules /opt/falco/vendor/falco-rules
COPY --from=shared schemas/falco /opt/falco/schemas/falco
COPY --from=shared vendor/falco-lsp/internal/fields/data /opt/falco/vendor/falco-lsp/internal/fields/data
ENV SOC_FALCO_LANG_BIN=/usr/local/bin/falco-lang SOC_FALCO_DATA=/opt/falco
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY bin bin
COPY policies policies
# agents/ whole: every agent-config.yaml and the model, so a new agent needs no line here.
COPY agents agents
# The image's `node` user; numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
ENTRYPOINT ["node"]
CMD ["dist/fleet/run.js"]

# The weekly retraining: the same app plus a Python environment with training/requirements.txt,
# named by SOC_PYTHON so fleet/python.ts makes no virtual environment at run time.
FROM app AS training
USER root
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv \
  && rm -rf /var/lib/apt/lists/*
COPY training training
RUN python3 -m venv /opt/venv \
  && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r training/requirements.txt
ENV SOC_PYTHON=/opt/venv/bin/python PYTHONDONTWRITEBYTECODE=1
USER 1000:1000

# The default target: the components' image.
FROM app
