"""The estate: the declarative description of an organisation's workloads, and its loader."""
