"""Where the server may send a request of its own (a webhook): the address policy.

An address that the practice admin types in makes this server connect wherever it points:
to the cloud's metadata service (169.254.169.254), to the database port on this machine, to
a printer on the office network. So a host is resolved once, every address it resolves to
is checked, and the connection goes to the checked address (a name that resolves somewhere
else a moment later, DNS rebinding, changes nothing). Public addresses are allowed; private
networks only when the practice allows them (its own integration engine may live there);
this machine only in development and tests; link-local, multicast, unspecified and reserved
addresses never.
"""

from __future__ import annotations

import ipaddress
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The host is, or resolves to, an address the policy refuses; ``str()`` says which kind."""


def address_kind(address: Address) -> str:
    """``public``, ``private``, ``loopback`` or ``never`` (link-local, multicast…)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if (
        address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    ):
        return "never"
    if address.is_global:
        return "public"
    return "private"  # 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 and the like


def address_allowed(address: Address, *, private: bool, loopback: bool) -> bool:
    kind = address_kind(address)
    return kind == "public" or (kind == "private" and private) or (kind == "loopback" and loopback)


def literal_address(host: str) -> Address | None:
    """The address a URL's host names literally (``[::1]`` without brackets), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve_allowed(host: str, port: int, *, private: bool, loopback: bool) -> str:
    """The address to connect to for ``host``: every address it resolves to must be allowed
    (a name that also resolves to a private address is refused, not half-trusted)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise AddressRefused("unresolvable") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]
    if not addresses:
        raise AddressRefused("unresolvable")
    for address in addresses:
        if not address_allowed(address, private=private, loopback=loopback):
            raise AddressRefused(address_kind(address))
    return str(addresses[0])
