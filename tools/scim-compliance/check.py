"""Runs scim2-tester (RFC 7643/7644 compliance checks) against one SCIM directory of a running Mandate.

Usage: python check.py <scim base url> <bearer token>
Exits non-zero when any check ends in ERROR or CRITICAL; prints every result.
"""

import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server
from scim2_tester.utils import Status

FAILING = {Status.ERROR, Status.CRITICAL}


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    http = httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    client.discover()
    # Agents need owners that are real, active users of the organization: scim2-tester fills
    # `owners.value` with random strings, so Agents are covered by Mandate's own end-to-end tests.
    results = check_server(client, resource_types=["User", "Group"])
    failed = [result for result in results if result.status in FAILING]
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.name] = counts.get(result.status.name, 0) + 1
        marker = "FAIL" if result.status in FAILING else "ok  "
        print(f"{marker} {result.status.name:<10} {result.resource_type or '-':<6} {result.title}: {result.reason or ''}")
    print("scim2-tester:", ", ".join(f"{count} {status}" for status, count in sorted(counts.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
