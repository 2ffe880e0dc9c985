"""Model columns (str indices) to client columns in each position encoding."""

from __future__ import annotations

import pytest
from pygls.workspace import PositionCodec

from plan_ls.features.positions import client_column
from tests.test_encoding_e2e import DESSERT


@pytest.mark.parametrize("encoding,expected", [("utf-8", 37), ("utf-16", 32),
                                               ("utf-32", 32)])
def test_client_column_counts_code_units(encoding, expected):
    codec = PositionCodec(encoding)
    assert client_column(codec, DESSERT, len(DESSERT)) == expected
    line = "- [ ] 🚀 x"
    units = {"utf-8": 4, "utf-16": 2, "utf-32": 1}[encoding]
    assert client_column(codec, line, line.index("x")) == 7 + units
