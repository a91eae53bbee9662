"""Finding products by what people type (valuechain.outputs.search), on the HS names the workflow ships."""

import pandas as pd
import pytest

from valuechain.outputs.search import find_products, word_stem

NAMES = pd.Series({"4011": "New pneumatic tires of rubber", "4012": "Used pneumatic tires of rubber",
                   "5902": "Tire cord fabric", "8703": "Cars", "8708": "Parts of motor vehicles",
                   "2803": "Carbon", "8542": "Electronic integrated circuits", "8517": "Telephones",
                   "7403": "Refined copper and copper alloys", "7402": "Unrefined copper"})


@pytest.mark.parametrize("word, stem", [("tyres", "tyre"), ("boxes", "box"), ("glasses", "glass"),
                                        ("batteries", "battery"), ("gas", "gas"), ("cars", "car"),
                                        ("Circuits", "circuit"), ("bus", "bus")])
def test_word_stems(word, stem):
    assert word_stem(word) == stem


def codes(query):
    return find_products(query, NAMES)["hs"].tolist()


def test_words_in_any_order_singular_or_plural_and_synonyms():
    assert codes("vehicle parts") == codes("parts of motor vehicle") == ["8708"]
    assert set(codes("tyre")) == set(codes("tires")) == {"4011", "4012", "5902"}
    assert codes("new tyres") == ["4011"]
    assert codes("chip") == ["8542"]
    assert codes("phones") == ["8517"]
    assert codes("copper unrefined") == ["7402"]
    assert codes("rubber bicycle") == []


def test_an_exact_name_first_then_whole_words_before_beginnings():
    assert codes("car")[0] == "8703"  # before Carbon, which "car" only begins
    found = find_products("car", NAMES)
    assert found["score"].iloc[0] == 3 and list(found["hs"]) == ["8703", "8708", "2803"]
    assert codes("refined copper")[0] == "7403"
