"""Associations between HubSpot records, stored compactly in both directions.

HubSpot associations are two-way: a contact associated with a company lists the company, and
the company lists the contact. Each (from type, to type) pair keeps three parallel arrays
sorted by (from id, to id), about 17 bytes per edge.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable

from sandbox.world import Association

PRIMARY_LABEL = "primary"


class _Edges:
    def __init__(self, edges: list[tuple[int, int, bool]]) -> None:
        edges.sort()
        self.froms = array("q")
        self.tos = array("q")
        self.primary = bytearray()
        for from_id, to_id, primary in edges:
            if self.froms and self.froms[-1] == from_id and self.tos[-1] == to_id:
                # A pair listed twice (once per direction, or unlabeled and primary) is one
                # edge, primary when either listing was.
                self.primary[-1] |= primary
                continue
            self.froms.append(from_id)
            self.tos.append(to_id)
            self.primary.append(primary)

    def span(self, from_id: int) -> range:
        start = bisect.bisect_left(self.froms, from_id)
        stop = bisect.bisect_right(self.froms, from_id)
        return range(start, stop)

    def insert(self, from_id: int, to_id: int, primary: bool) -> None:
        for i in self.span(from_id):
            if self.tos[i] == to_id:
                self.primary[i] = self.primary[i] or primary
                return
        span = self.span(from_id)
        position = span.start
        while position < span.stop and self.tos[position] < to_id:
            position += 1
        self.froms.insert(position, from_id)
        self.tos.insert(position, to_id)
        self.primary.insert(position, primary)

    def all_edges(self) -> list[tuple[int, int, bool]]:
        return [(self.froms[i], self.tos[i], bool(self.primary[i]))
                for i in range(len(self.froms))]


class AssociationIndex:
    """All associations of one sandbox, readable from either end."""

    def __init__(self, associations: Iterable[Association] = ()) -> None:
        pending: dict[tuple[str, str], list[tuple[int, int, bool]]] = {}
        for association in associations:
            primary = association.label.strip().lower() == PRIMARY_LABEL
            from_id, to_id = int(association.from_id), int(association.to_id)
            pending.setdefault((association.from_type, association.to_type), []).append(
                (from_id, to_id, primary))
            pending.setdefault((association.to_type, association.from_type), []).append(
                (to_id, from_id, primary))
        self._pairs = {pair: _Edges(edges) for pair, edges in pending.items()}

    def targets(self, from_type: str, from_id: str, to_type: str) -> list[tuple[str, bool]]:
        """Return (to id, is primary) of one record's associations to ``to_type``, by id."""
        edges = self._pairs.get((from_type, to_type))
        if edges is None or not from_id.isdigit():
            return []
        return [(str(edges.tos[i]), bool(edges.primary[i])) for i in edges.span(int(from_id))]

    def add(self, from_type: str, from_id: str, to_type: str, to_id: str,
            primary: bool = False) -> None:
        """Associate two records in both directions (a no-op when they already are)."""
        for (a_type, a_id), (b_type, b_id) in (((from_type, from_id), (to_type, to_id)),
                                               ((to_type, to_id), (from_type, from_id))):
            edges = self._pairs.setdefault((a_type, b_type), _Edges([]))
            edges.insert(int(a_id), int(b_id), primary)

    def move(self, object_type: str, old_id: str, new_id: str) -> None:
        """Re-point every association of ``old_id`` to ``new_id``, as a merge does."""
        old, new = int(old_id), int(new_id)
        for (from_type, to_type), edges in list(self._pairs.items()):
            if object_type not in (from_type, to_type):
                continue
            changed = False
            rebuilt = []
            for from_id, to_id, primary in edges.all_edges():
                if from_type == object_type and from_id == old:
                    from_id, changed = new, True
                if to_type == object_type and to_id == old:
                    to_id, changed = new, True
                rebuilt.append((from_id, to_id, primary))
            if changed:
                self._pairs[(from_type, to_type)] = _Edges(rebuilt)
