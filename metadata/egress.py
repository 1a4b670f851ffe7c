"""Hosts users type into connector configs: refuse link-local and cloud-metadata addresses."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from metadata.errors import Invalid

HOST_KEYS = {"host", "hostname", "server", "address"}
URL_KEYS = {"url", "base_url", "endpoint", "uri"}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _hosts(config: Any) -> Iterator[str]:
    """Every host named in a config, at any depth (OLake nests under `writer`)."""
    if isinstance(config, dict):
        for key, value in config.items():
            if isinstance(value, str) and value:
                if key.lower() in HOST_KEYS:
                    yield value.strip().strip("[]")
                elif key.lower() in URL_KEYS:
                    host = urlsplit(value.strip()).hostname
                    if host:
                        yield host
            else:
                yield from _hosts(value)
    elif isinstance(config, list):
        for item in config:
            yield from _hosts(item)


def _split(denylist: Sequence[str]) -> tuple[list[Network], set[str]]:
    networks: list[Network] = []
    names: set[str] = set()
    for entry in denylist:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return networks, names


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return []  # unresolvable: the connector's own check says so
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_hosts(config: dict[str, Any], denylist: Sequence[str]) -> None:
    """Invalid (400) when a host of the config is, or resolves into, a denied network or name."""
    networks, names = _split(denylist)
    for host in _hosts(config):
        if host.lower().rstrip(".") in names:
            raise Invalid(f"host '{host}' is not allowed (denied by the connector host deny list)")
        for address in _addresses(host):
            mapped = getattr(address, "ipv4_mapped", None) or address
            if any(mapped in network for network in networks):
                raise Invalid(
                    f"host '{host}' is not allowed: {address} is in a denied network "
                    "(link-local or cloud metadata)"
                )
