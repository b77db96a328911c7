"""The committed generated classes are exactly what protoc makes of the .proto file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parents[2] / "proto"
GENERATED = ("wirewatch_pb2.py", "wirewatch_pb2.pyi")


def test_regenerating_gives_identical_files(tmp_path: Path) -> None:
    """Running grpcio-tools' protoc again reproduces the committed files byte for byte."""
    source = tmp_path / "wirewatch" / "v1"
    source.mkdir(parents=True)
    shutil.copy(PROTO_ROOT / "wirewatch" / "v1" / "wirewatch.proto", source)
    out = tmp_path / "out"
    out.mkdir()
    code = protoc.main(
        [
            "protoc",
            f"-I{tmp_path}",
            f"-I{Path(protoc.__file__).parent / '_proto'}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            "wirewatch/v1/wirewatch.proto",
        ]
    )
    assert code == 0
    for name in GENERATED:
        fresh = (out / "wirewatch" / "v1" / name).read_bytes()
        committed = (PROTO_ROOT / "wirewatch" / "v1" / name).read_bytes()
        assert fresh == committed, f"{name} is stale: run `make proto`"


@pytest.mark.parametrize("name", GENERATED, ids=GENERATED)
def test_generated_files_are_committed(name: str) -> None:
    assert (PROTO_ROOT / "wirewatch" / "v1" / name).is_file()
