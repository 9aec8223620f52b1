"""Work and event transport: jobs for many workers, the audit and metrics subjects.

Two implementations, named in ``seccli.bus.select.BUSES``: ``local`` (a queue in a SQLite file
beside the state database, no server) and ``nats`` (NATS JetStream through nats-py).
"""
