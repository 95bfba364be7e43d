"""2.x idTokens checked against the idTag table (channels/domain/authorization.py).

A token is looked up by its value whatever its type, as an idTag is; what 2.x
adds is mapped: an unknown token is `Unknown` (1.6 says Invalid), the tag's
expiry is the cache expiry, and its parent the group token.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ocpp_cable.channels.domain.authorization import GROUP_TOKEN_TYPE, id_tag_info

# The type of a token the station needed no authorization for ("" as its value): nothing to
# look up.
NO_AUTHORIZATION = "NoAuthorization"
# 2.0.1's IdToken length (2.1 allows 255): a longer group token is not answered.
GROUP_LENGTH = 36


def id_token_info(
    session: Session,
    id_token: dict[str, Any],
    ignore_transaction: int | None = None,
    starting: bool = True,
) -> dict[str, Any]:
    """The idTokenInfo for `id_token` ({"idToken", "type"}); `ignore_transaction` as for
    authorization.id_tag_info (the transaction being checked does not make it busy).

    `starting`: the answer is to a transaction's Started event. 2.x gives ConcurrentTx a
    meaning there only; an Authorize (a driver stopping their session, or starting a
    second where the station allows it) is answered Accepted instead.
    """
    if id_token["type"] == NO_AUTHORIZATION:
        return {"status": "Accepted"}
    found = id_tag_info(
        session, id_token["idToken"], ignore_transaction, "Unknown", parent_length=GROUP_LENGTH
    )
    status = found["status"]
    if status == "ConcurrentTx" and not starting:
        status = "Accepted"
    info: dict[str, Any] = {"status": status}
    if "expiryDate" in found:
        info["cacheExpiryDateTime"] = found["expiryDate"]
    if "parentIdTag" in found:
        info["groupIdToken"] = {"idToken": found["parentIdTag"], "type": GROUP_TOKEN_TYPE}
    return info
