"""Every feature ships with the app: its pages and commands are registered, never skipped silently."""


def test_every_feature_package_registers_its_pages(app):
    assert {"inbox", "cases", "admin", "monitoring", "notifications", "notifications_api", "api"} <= set(app.blueprints)


def test_every_command_group_is_attached(app):
    assert {"init-db", "workflow", "token", "demo", "bench", "generate", "tick", "monitoring",
            "serve"} <= set(app.cli.commands)
    assert {"engine", "dashboard"} <= set(app.cli.commands["bench"].commands)
