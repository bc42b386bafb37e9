"""An A2A client from another SDK: the official Python a2a-sdk, as kagent's agents use it.

Reads an agent's card over mutual TLS, calls one skill with the fleet's request shape (a data part
{skill, input}) and prints what it saw as one JSON object: the card's security schemes and
requirements as parsed by the SDK, and every response of the call.

    python a2a_client.py <agent base URL> <cert dir> <identity> <skill> <input JSON>
"""

import asyncio
import json
import ssl
import sys
import uuid

import httpx
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types.a2a_pb2 import SendMessageRequest
from google.protobuf.json_format import MessageToDict, ParseDict


async def main(base_url: str, cert_dir: str, identity: str, skill: str, payload: str) -> None:
    tls = ssl.create_default_context(cafile=f"{cert_dir}/ca.crt")
    tls.load_cert_chain(f"{cert_dir}/{identity}.crt", f"{cert_dir}/{identity}.key")
    async with httpx.AsyncClient(verify=tls, timeout=60) as http:
        card = await A2ACardResolver(http, base_url).get_agent_card()
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=False)).create(card)
        request = ParseDict(
            {
                "message": {
                    "messageId": uuid.uuid4().hex,
                    "role": "ROLE_USER",
                    "parts": [
                        {"data": {"skill": skill, "input": json.loads(payload)}, "mediaType": "application/json"}
                    ],
                }
            },
            SendMessageRequest(),
        )
        responses = [MessageToDict(response) async for response in client.send_message(request)]
        print(
            json.dumps(
                {
                    "name": card.name,
                    "skills": [s.id for s in card.skills],
                    "securitySchemes": MessageToDict(card)["securitySchemes"],
                    "securityRequirements": [MessageToDict(r) for r in card.security_requirements],
                    "responses": responses,
                }
            )
        )


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
