"""Shared fixtures: the local MediaWiki farm and the private MariaDB server are plugins."""

pytest_plugins = ["tests.wikiharness", "tests.dbharness"]
