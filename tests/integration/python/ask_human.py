"""An agent asking a human through the official MCP Python SDK (`pip install mcp`).

Used by tests/integration/questions.rs: connects to Mission Control's /mcp with an agent's
token, calls `ask_human` with three options and `waitSeconds: 60`, and prints the tool's
structured result as one line of JSON (or the error, exiting 1).

    python3 ask_human.py <mcp url> <agent token> <task id>
"""

import asyncio
import json
import sys

from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def main(url: str, token: str, task_id: str) -> int:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with Client(streamable_http_client(url, http_client=http)) as mc:
        result = await mc.call_tool(
            "ask_human",
            {
                "question": "Which colour for the launch?",
                "options": ["Red", "Blue", "Green"],
                "taskId": task_id,
                "waitSeconds": 60,
            },
        )
    if result.is_error:
        print(json.dumps([c.model_dump() for c in result.content]), file=sys.stderr)
        return 1
    print(json.dumps(result.structured_content), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:4])))
