"""The models of events and automations, at Prefect 3's paths: `.events` (`Event`, `Resource`,
...), `.automations` (`EventTrigger`, `Automation`, ...)."""

__all__: list[str] = []
