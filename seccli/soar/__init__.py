"""SOAR playbooks: model, validation, engine, actions and CACAO 2.0 interchange."""
