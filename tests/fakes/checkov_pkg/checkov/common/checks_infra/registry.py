"""The one registry function the worker calls while warming up."""

LOADS: list[str] = []


class _Registry:
    def load_checks(self) -> None:
        LOADS.append("graph")


def get_all_graph_checks_registries() -> list[_Registry]:
    return [_Registry()]
