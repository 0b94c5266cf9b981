"""Servers operators name (their mail server, their Peppol access point) that the product
connects to. Without a check, an operator could make the product probe its own network."""

import ipaddress
import socket


def non_public_address(host: str) -> str:
    """The first address `host` is or resolves to that is not on the public internet
    (loopback, a private network, link-local such as a cloud's metadata service), or "".
    Raises LookupError when the name does not resolve."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError) as error:
        raise LookupError(host) from error
    for text in sorted(addresses):
        address = ipaddress.ip_address(text.split("%")[0])
        if getattr(address, "ipv4_mapped", None):
            address = address.ipv4_mapped
        if not address.is_global:
            return str(address)
    return ""
