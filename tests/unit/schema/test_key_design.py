"""Key builders and parsers: the only place a prefix is spelled; and the fields that must spell the
design's names again (TypedDicts, the benchmark's PynamoDB model) spell them as key_design does."""

from typing import Any, get_args, get_type_hints

import pytest

from kvtable.benchmarks.clients import pynamodb_model
from kvtable.schema import key_design as kd
from kvtable.schema.entities import ApiKeyGuardItem, KeyItem, NamespaceItem, NamespaceLinkItem, UserItem
from kvtable.schema.errors import InvalidInputError

# Every attribute name key_design defines: a type's fields among these are the ones it spells again.
DESIGN_ATTRIBUTES = {
    *kd.KEY_ATTRIBUTES,
    kd.TTL_ATTRIBUTE,
    kd.ENTITY_TYPE_ATTRIBUTE,
    kd.CREATED_AT,
    kd.UPDATED_AT,
}
TABLE_KEY = {kd.PARTITION_KEY, kd.SORT_KEY}
SHARED = {kd.ENTITY_TYPE_ATTRIBUTE, kd.CREATED_AT, kd.UPDATED_AT}


def test_builders_follow_the_design() -> None:
    assert kd.user_partition_key("user123") == "USER#user123"
    assert kd.namespace_partition_key("myapp") == "NS#myapp"
    assert kd.key_sort_key("user:123") == "KEY#user:123"
    assert kd.api_key_partition_key("abc123def456") == "APIKEY#abc123def456"
    assert kd.key_prefix_sort_key("user:") == "KEY#user:"
    assert kd.key_prefix_sort_key("") == "KEY#"


def test_parsers_invert_builders() -> None:
    assert kd.parse_namespace(kd.namespace_partition_key("myapp")) == "myapp"
    assert kd.parse_key(kd.key_sort_key("a/b:c")) == "a/b:c"


@pytest.mark.parametrize("parse", [kd.parse_namespace, kd.parse_key])
def test_parsers_refuse_foreign_keys(parse: object) -> None:
    with pytest.raises(InvalidInputError):
        parse("METADATA")  # type: ignore[operator]


@pytest.mark.parametrize("bad", ["", "a#b", "#"])
@pytest.mark.parametrize(
    "build",
    [kd.user_partition_key, kd.namespace_partition_key, kd.key_sort_key, kd.api_key_partition_key],
)
def test_empty_or_hash_ids_are_refused(build: object, bad: str) -> None:
    with pytest.raises(InvalidInputError):
        build(bad)  # type: ignore[operator]


def test_sort_key_limit_is_1024_utf8_bytes() -> None:
    fits = "k" * (1024 - len("KEY#"))
    assert kd.key_sort_key(fits) == "KEY#" + fits
    with pytest.raises(InvalidInputError, match="1025 bytes"):
        kd.key_sort_key(fits + "k")
    # Bytes, not characters: 'é' is two bytes in UTF-8.
    with pytest.raises(InvalidInputError):
        kd.key_sort_key("é" * 511)


def test_partition_key_limit_is_2048_bytes() -> None:
    assert kd.user_partition_key("u" * (2048 - 5)).startswith("USER#")
    with pytest.raises(InvalidInputError):
        kd.user_partition_key("u" * (2048 - 4))


def test_namespace_obeys_the_sort_key_limit_because_it_is_also_a_sort_key() -> None:
    with pytest.raises(InvalidInputError):
        kd.namespace_partition_key("n" * 1022)


@pytest.mark.parametrize(
    ("item_type", "entity", "required", "optional"),
    [
        (UserItem, kd.USER_ENTITY, {*kd.KEY_ATTRIBUTES, *SHARED}, set()),
        (NamespaceLinkItem, kd.NAMESPACE_ENTITY, {*TABLE_KEY, *SHARED}, set()),
        (NamespaceItem, kd.NAMESPACE_ENTITY, {*kd.KEY_ATTRIBUTES, *SHARED}, set()),
        (KeyItem, kd.KEY_ENTITY, {*kd.KEY_ATTRIBUTES, *SHARED}, {kd.TTL_ATTRIBUTE}),
        (ApiKeyGuardItem, kd.API_KEY_ENTITY, {*TABLE_KEY, kd.ENTITY_TYPE_ATTRIBUTE, kd.CREATED_AT}, set()),
    ],
)
def test_entity_fields_and_literals_spell_the_key_design(
    item_type: type[Any], entity: str, required: set[str], optional: set[str]
) -> None:
    assert item_type.__required_keys__ & DESIGN_ATTRIBUTES == required
    assert item_type.__optional_keys__ & DESIGN_ATTRIBUTES == optional
    assert get_args(get_type_hints(item_type)[kd.ENTITY_TYPE_ATTRIBUTE]) == (entity,)


def test_the_benchmark_pynamodb_model_spells_the_key_design() -> None:
    pytest.importorskip("pynamodb")
    model = pynamodb_model("kv-test", "http://127.0.0.1:9")
    assert DESIGN_ATTRIBUTES.issubset(field.attr_name for field in model.get_attributes().values())
    index_fields = type(model.by_namespace).Meta.attributes.values()
    assert {field.attr_name for field in index_fields} == {kd.GSI1_PARTITION_KEY, kd.GSI1_SORT_KEY}
