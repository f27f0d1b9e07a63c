"""The registries: names → what plugins registered, conflicts, and the core's use of them."""

from __future__ import annotations

import pytest

from cadenza import hookimpl, task
from cadenza.blocks.core import Block
from cadenza.plugins import registry
from cadenza.plugins.errors import PluginConflictError
from cadenza.serializers import get_serializer, serializer_by_name, serializer_name
from cadenza.storage import from_description, storage_type


class MemoryStorage:
    """A storage backend registered by its ``slug``."""

    slug = "memory"
    blobs: dict[str, bytes] = {}

    def read_path(self, key: str) -> bytes:
        return self.blobs[key]

    def write_path(self, key: str, data: bytes) -> None:
        self.blobs[key] = data

    def exists(self, key: str) -> bool:
        return key in self.blobs

    def delete(self, key: str) -> None:
        self.blobs.pop(key, None)

    def to_ref(self) -> dict:
        return {"type": "memory"}

    @classmethod
    def from_ref(cls, ref: dict) -> MemoryStorage:
        return cls()


class S3Bucket(MemoryStorage):
    """No ``slug``: registered as ``s3-bucket``."""

    slug = None


class Rot13:
    def dumps(self, obj: str) -> bytes:
        import codecs

        return codecs.encode(obj, "rot13").encode()

    def loads(self, data: bytes) -> str:
        import codecs

        return codecs.decode(data.decode(), "rot13")

    type = "rot13"


class SlackWebhook(Block):
    _block_type_slug = "slack"


class GCSCredentials(Block):
    pass


@task
def say_hello(name: str) -> str:
    """Greets someone."""
    return f"hello {name}"


class Collection:
    @hookimpl
    def register_storage_backends(self):
        return [MemoryStorage, S3Bucket]

    @hookimpl
    def register_serializers(self):
        return [("ROT13", Rot13)]

    @hookimpl
    def register_tasks(self):
        return [say_hello]

    @hookimpl
    def register_block_types(self):
        return [SlackWebhook, GCSCredentials]


def test_contributions_are_registered_by_name(plugin_manager) -> None:
    info = plugin_manager.add_plugin(Collection(), "collection", distribution="cadenza-collection")
    assert info.status == "loaded"
    assert registry.storage_types()["memory"] is MemoryStorage
    assert registry.storage_types()["s3-bucket"] is S3Bucket
    assert registry.serializers()["rot13"] is Rot13
    assert registry.tasks() == {"say_hello": say_hello}
    assert registry.registered("tasks")["say_hello"].plugin is info
    blocks = registry.block_types()
    assert (blocks["slack"], blocks["gcs-credentials"]) == (SlackWebhook, GCSCredentials)
    assert info.registered == {
        "block_types": ["slack", "gcs-credentials"],
        "storage_backends": ["memory", "s3-bucket"],
        "tasks": ["say_hello"],
        "serializers": ["rot13"],
    }


def test_results_are_cached_and_returned_as_copies(plugin_manager) -> None:
    plugin_manager.add_plugin(Collection(), "collection")
    first = registry.storage_types()
    first.clear()
    assert "memory" in registry.storage_types()
    assert registry.registered("tasks") is not registry.registered("tasks")
    assert plugin_manager.registry_cache["storage_backends"]


def test_duplicate_names_are_one_error_naming_both_plugins(plugin_manager) -> None:
    class Other:
        @hookimpl
        def register_storage_backends(self):
            return [S3Bucket]

        @hookimpl
        def register_tasks(self):
            return [say_hello]

        @hookimpl
        def register_serializers(self):
            return [("json", Rot13)]

        @hookimpl
        def register_task_runners(self):
            from cadenza.task_runners import ThreadPoolTaskRunner

            return [ThreadPoolTaskRunner]

        @hookimpl
        def register_block_types(self):
            return [SlackWebhook]

    add = plugin_manager.add_plugin
    add(Collection(), "aws", distribution="cadenza-aws", entry_point="aws = a")
    add(Other(), "s3", distribution="cadenza-s3", entry_point="s3 = b")
    with pytest.raises(PluginConflictError) as exc:
        registry.storage_types()
    message = str(exc.value)
    assert "storage backend 's3-bucket'" in message
    assert "'aws = a' of distribution cadenza-aws" in message
    assert "'s3 = b' of distribution cadenza-s3" in message
    assert exc.value.plugins[0].startswith("plugin 'aws'")
    for call, name in [
        (registry.tasks, "task 'say_hello'"),
        (registry.serializers, "serializer 'json'"),
        (registry.task_runners, "task runner 'thread-pool-task-runner'"),
        (registry.block_types, "block type 'slack'"),
    ]:
        with pytest.raises(PluginConflictError, match=name):
            call()
    assert len(registry.conflicts()) == 5


def test_storage_registry_consults_plugins_for_unknown_slugs(plugin_manager) -> None:
    plugin_manager.add_plugin(Collection(), "collection")
    assert storage_type("local").__name__ == "LocalFileSystem"  # registered directly
    assert storage_type("memory") is MemoryStorage
    assert isinstance(from_description({"type": "memory"}), MemoryStorage)
    with pytest.raises(LookupError, match=r"known: local, memory, s3-bucket"):
        storage_type("gcs")


def test_serializers_registry_consults_plugins(plugin_manager) -> None:
    plugin_manager.add_plugin(Collection(), "collection")
    rot13 = get_serializer("rot13")
    assert isinstance(rot13, Rot13) and rot13.dumps("abc") == b"nop"
    assert serializer_name(rot13) == "rot13"
    assert isinstance(serializer_by_name("rot13"), Rot13)
    assert isinstance(get_serializer("json"), type(serializer_by_name("json")))
    known = r"known: cloudpickle, compressed/json, compressed/pickle, json, pickle, (.*, )?rot13"
    with pytest.raises(ValueError, match=known):
        get_serializer("yaml")


def test_a_plugin_added_later_is_seen_by_the_registry(plugin_manager) -> None:
    assert "memory" not in registry.storage_types()
    plugin_manager.add_plugin(Collection(), "collection")
    assert "memory" in registry.storage_types()


def test_reset_forgets_the_manager(plugin_manager) -> None:
    plugin_manager.add_plugin(Collection(), "collection")
    assert [i.name for i in registry.load_report()][-1] == "collection"
    registry.reset()
    assert "collection" not in [i.name for i in registry.load_report()]
