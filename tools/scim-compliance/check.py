"""Runs scim2-tester (RFC 7643/7644 compliance checks) against a SCIM directory of a running Mandate.

Usage:
  python check.py --scim <scim base url> <bearer token>   # an existing directory
  python check.py --mandate <mandate url> <admin key>     # creates an organization and a SCIM directory first
Exits non-zero when any check ends in ERROR or CRITICAL; prints every result.
"""

import sys
import uuid

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server
from scim2_tester.utils import Status

FAILING = {Status.ERROR, Status.CRITICAL}


def new_directory(mandate_url: str, admin_key: str) -> tuple[str, str]:
    with httpx2.Client(base_url=mandate_url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30) as api:
        organization = api.post("/api/v1/organizations", json={"name": f"SCIM compliance {uuid.uuid4().hex[:8]}"})
        organization.raise_for_status()
        directory = api.post(
            f"/api/v1/organizations/{organization.json()['id']}/directories",
            json={"name": "scim2-tester", "provider": "generic_scim"},
        )
        directory.raise_for_status()
        return directory.json()["endpoint"], directory.json()["token"]


def main() -> int:
    mode, url, secret = sys.argv[1:4]
    base_url, token = new_directory(url, secret) if mode == "--mandate" else (url, secret)
    http = httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    client.discover()
    # Agents need owners that are real, active users of the organization: scim2-tester fills
    # `owners.value` with random strings, so Agents are covered by Mandate's own end-to-end tests.
    results = check_server(client, resource_types=["User", "Group"])
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.name] = counts.get(result.status.name, 0) + 1
        marker = "FAIL" if result.status in FAILING else "ok  "
        print(f"{marker} {result.status.name:<10} {result.resource_type or '-':<6} {result.title}: {result.reason or ''}")
    print("scim2-tester:", ", ".join(f"{count} {status}" for status, count in sorted(counts.items())))
    return 1 if any(result.status in FAILING for result in results) or not results else 0


if __name__ == "__main__":
    sys.exit(main())
