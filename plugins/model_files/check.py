"""Model-file safety: what loading a released model file would run.

Field guide, model checkpoint: a model file is code when its format is
pickle. ``torch.load`` of a checkpoint whose pickle imports ``os.system``
runs a command on whoever loads it. Every file here is read as bytes and
headers; nothing is unpickled, imported or loaded by its framework.

Example: ``model.ckpt`` whose ``data.pkl`` imports ``posix.system`` gets
``model.unsafe-pickle`` (critical), and the policy line
``unsafe-model-file`` closes the model; ``train.py`` calling
``torch.load(path)`` gets ``model.unsafe-load-code`` (medium) at its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aiart_release.checks import Check
from aiart_release.facts import Fact
from aiart_release.findings import CHECKPOINT_OF_ARTIFACT, Checkpoint, Finding, Location, Severity
from aiart_release.readers.text import unreadable_finding

# The readers of pickles, archives, Keras, HDF5 and GGUF files are imported
# when a file of theirs is scanned: a cached run, or a bundle without
# weights, never needs them.
if TYPE_CHECKING:
    from . import containers
    from .pickles import Import

_SHOWN = 5
_SAFETENSORS_URL = "https://huggingface.co/docs/safetensors/index"
_CONVERT = ("Convert the weights to safetensors (safetensors.torch.save_file(model.state_dict(), "
            "'model.safetensors')) in a clean environment, after loading them there with "
            "torch.load(..., weights_only=True); publish only the safetensors file")
_PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".bin", ".joblib",
                              ".npy", ".npz"})
_FIXTURE_DIRS = frozenset({"test", "tests", "testing", "fixtures", "fixture", "testdata",
                           "test_data", "test-data"})


def _names(imports: list[Import]) -> str:
    shown = ", ".join(item.dotted for item in imports[:_SHOWN])
    return shown + (f" and {len(imports) - _SHOWN} more" if len(imports) > _SHOWN else "")


def _where(member: str | None) -> str:
    return f" (archive member `{member}`)" if member else ""


class ModelFiles(Check):
    id = "model-files"
    checkpoint = Checkpoint.MODEL_CODE
    covers = frozenset({Checkpoint.MODEL_CODE, Checkpoint.PUBLISHING})
    description = ("Model files read without loading: pickle imports, safetensors layout, "
                   "Keras Lambda layers")
    kinds = frozenset({"model-weights", "archive"})
    version = "2"  # 2: legacy torch files end after their five pickles
    findings = {
        "model.unsafe-pickle": "A pickle-based model file: critical when loading it imports "
                               "a callable that runs commands or code, medium when it imports "
                               "something unknown or cannot be verified, low otherwise",
        "model.invalid-safetensors": "A safetensors file whose header or layout is invalid",
        "model.keras-lambda": "A Keras model with Lambda layers (code that runs when loaded)",
        "bundle.unreadable": "A model file whose container cannot be opened",
        "bundle.too-complex": "A model file's config past a reader's limit",
    }

    def scan_file(self, file, ctx):
        path = Path(file.abspath)
        suffix = file.suffix
        if suffix == ".safetensors":
            yield from self._safetensors(file, path)
        elif suffix == ".keras":
            yield from self._keras(file, path)
        elif suffix in (".h5", ".hdf5"):
            yield from self._h5(file, path)
        elif suffix in _PICKLE_SUFFIXES or file.kind == "model-weights":
            yield from self._pickles(file, path)

    # ---- pickles ----------------------------------------------------------

    def _pickles(self, file, path: Path):
        from . import containers

        try:
            pieces, problems, kind = containers.pickles_in(path)
        except (OSError, ValueError, EOFError) as exc:
            yield self._unreadable(file, str(exc))
            return
        if kind is None and file.suffix not in (".bin", ".npy", ".npz") and file.kind != "archive":
            return
        for piece in pieces:
            yield from self._piece_findings(file, piece)
        for problem in problems:
            if problem.member is None:
                yield self._unreadable(file, problem.reason)
            else:
                yield self._finding(
                    file, Severity.MEDIUM, problem.member,
                    f"Archive member cannot be verified: {problem.reason}", "unverified")

    def _piece_findings(self, file, piece: containers.Piece):
        from . import containers

        scan = piece.scan
        dangerous, unknown = scan.rated()
        where = _where(piece.member)
        if dangerous:
            yield self._finding(
                file, Severity.CRITICAL, piece.member,
                f"Loading this pickle{where} runs code: it imports {_names(dangerous)}",
                "dangerous:" + ",".join(i.dotted for i in dangerous), dangerous + unknown)
        elif unknown:
            yield self._finding(
                file, Severity.MEDIUM, piece.member,
                f"Loading this pickle{where} imports {_names(unknown)}, not on the allow-list "
                "of tensor and array rebuilders: it may run code",
                "unknown:" + ",".join(i.dotted for i in unknown), unknown)
        if scan.error or scan.too_large:
            why = (f"larger than {containers.MAX_PICKLE_BYTES // (1024 * 1024)} MiB"
                   if scan.too_large else f"a bad opcode stream ({scan.error})")
            yield self._finding(
                file, Severity.MEDIUM, piece.member,
                f"Pickle{where} cannot be verified: {why}; whatever it imports before that "
                "point would still run", "unverified")
        elif not dangerous and not unknown and file.context != "fixture":
            yield self._finding(
                file, Severity.LOW, piece.member,
                f"Pickle-based model file{where}: it imports only tensor and array rebuilders, "
                "but any pickle can run code when loaded; safetensors cannot", "pickle")

    def _finding(self, file, severity, member, message, matched, imports=()):
        return Finding(
            id="model.unsafe-pickle",
            severity=severity,
            message=message,
            location=Location(path=file.path, field=member),
            remediation=_CONVERT if severity is not Severity.CRITICAL else (
                "Do not load or publish this file: it runs code when loaded. Rebuild the "
                "weights from a trusted source and publish them as safetensors"),
            evidence=", ".join(i.dotted for i in imports[:_SHOWN]) or None,
            references=(_SAFETENSORS_URL,),
            check=self.id,
            checkpoint=Checkpoint.MODEL_CODE,
            artifact=file.artifact,
            context="fixture" if file.context == "fixture" else None,
            matched=f"{member or ''}|{matched}",
        )

    def _unreadable(self, file, reason: str) -> Finding:
        return unreadable(file, self.id, f"Model file could not be opened: {reason}; it was "
                          "not verified", "Re-export the file (a truncated upload?), or "
                          "exclude it")

    # ---- safetensors ------------------------------------------------------

    def _safetensors(self, file, path: Path):
        from aiart_release.readers.safetensors import SafetensorsError

        from . import formats

        try:
            problems = formats.safetensors_problems(path)
        except SafetensorsError as exc:
            if exc.limit is not None:
                yield unreadable_finding(file.path, file.artifact, exc, self.id)
                return
            problems = [str(exc)]
        except OSError as exc:
            yield self._unreadable(file, exc.strerror or str(exc))
            return
        if problems:
            yield Finding(
                id="model.invalid-safetensors",
                severity=Severity.MEDIUM,
                message="Invalid safetensors file: " + "; ".join(problems),
                location=Location(path=file.path),
                remediation=("Re-export the file with the safetensors library "
                             "(safetensors.torch.save_file); a loader may refuse it or read "
                             "bytes no tensor declares"),
                references=(_SAFETENSORS_URL,),
                check=self.id,
                checkpoint=Checkpoint.MODEL_CODE,
                artifact=file.artifact,
                context="metadata",
                matched=problems[0],
            )

    # ---- Keras ------------------------------------------------------------

    def _keras(self, file, path: Path):
        import zipfile

        from aiart_release.readers.limits import LimitExceeded

        from . import formats

        try:
            names = formats.keras_lambdas(path)
        except LimitExceeded as exc:
            yield unreadable_finding(file.path, file.artifact, exc, self.id)
            return
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError,
                NotImplementedError) as exc:
            yield self._unreadable(file, str(exc)[:160])
            return
        if names:
            yield self._lambda(file, len(names), ", ".join(names[:_SHOWN]))

    def _h5(self, file, path: Path):
        from . import formats

        try:
            count = formats.h5_lambda_count(path)
        except OSError as exc:
            yield self._unreadable(file, exc.strerror or str(exc))
            return
        if count:
            yield self._lambda(file, count, None)

    def _lambda(self, file, count: int, names: str | None) -> Finding:
        return Finding(
            id="model.keras-lambda",
            severity=Severity.HIGH,
            message=(f"Keras model with {count} Lambda layer{'s' if count > 1 else ''}: its "
                     "Python code is stored in the file and runs when the model is loaded "
                     "with safe_mode off or by Keras before 2.13"),
            location=Location(path=file.path),
            remediation=("Replace Lambda layers with registered custom layers whose code ships "
                         "as source, or publish the weights alone (model.weights.h5 / "
                         "safetensors)"),
            evidence=names,
            references=("https://keras.io/api/layers/core_layers/lambda/",),
            check=self.id,
            checkpoint=Checkpoint.MODEL_CODE,
            artifact=file.artifact,
            context="config",
            count=count,
            matched=f"lambda:{count}",
        )


class UnsafeLoadCode(Check):
    id = "model-load-code"
    checkpoint = Checkpoint.MODEL_CODE
    description = "Training and inference code that unpickles what it loads"
    kinds = frozenset({"code"})
    version = "2"  # 2: a load of the code's own file is low
    reads_generated = False
    findings = {
        "model.unsafe-load-code": "Code that unpickles files (torch.load without "
                                  "weights_only=True, pickle/dill/joblib loads, numpy.load "
                                  "with allow_pickle=True, yaml.load without a safe Loader)",
    }

    def scan_file(self, file, ctx):
        if file.suffix not in (".py", ".pyw"):
            return
        from aiart_release.readers.text import TextUnreadable, read_text

        from . import load_code

        try:
            source, _cut = read_text(Path(file.abspath), load_code.MAX_SOURCE_BYTES)
            calls = load_code.unsafe_calls(source)
        except (TextUnreadable, SyntaxError, ValueError, RecursionError, MemoryError):
            return  # the code checks report unreadable code; nothing to flag here
        if not calls:
            return
        in_tests = file.context == "fixture" or bool(
            _FIXTURE_DIRS.intersection(p.lower() for p in Path(file.path).parts[:-1]))
        for group in load_code.groups(calls, in_tests):
            name, lines = group.call, group.lines
            yield Finding(
                id="model.unsafe-load-code",
                severity=group.severity,
                message=f"{group.why} (line {lines[0]}"
                        + (f" and {len(lines) - 1} more)" if len(lines) > 1 else ")"),
                location=Location(path=file.path, line=lines[0],
                                  lines=lines if len(lines) > 1 else None),
                remediation=group.remediation
                or _LOAD_FIX.get(name.split(".")[0], _LOAD_FIX["pickle"]),
                check=self.id,
                checkpoint=Checkpoint.MODEL_CODE,
                artifact=file.artifact,
                context="fixture" if in_tests else "code",
                count=len(lines) if len(lines) > 1 else None,
                matched=name,
            )


_LOAD_FIX = {
    "torch": "Pass weights_only=True to torch.load, or load safetensors with "
             "safetensors.torch.load_file",
    "numpy": "Drop allow_pickle=True: save plain arrays (no Python objects), or use .npz of "
             "numeric arrays",
    "yaml": "Use yaml.safe_load (or Loader=yaml.SafeLoader)",
    "pickle": "Load only files this code wrote itself; for weights use safetensors, for data "
              "JSON, CSV or Parquet",
}


class GGUFMetadataFacts(Check):
    """The ``general.*`` keys of GGUF files, for the card and licence checks."""

    id = "gguf-metadata"
    # A .gguf file is copied when its header is opened (read_gguf(file.abspath)).
    bundle_reads = frozenset()
    # Reads only the bundle, its facts and its settings (docs/plugins.md).
    bundle_cacheable = True
    checkpoint = Checkpoint.PUBLISHING
    description = "GGUF metadata: licence, base models, name, as facts"
    version = "1"
    findings = {
        "bundle.unreadable": "A GGUF file whose metadata cannot be read (truncated, a count "
                             "or length past the limits)",
    }
    provides = {
        "gguf_license": Fact(list, "`general.license` of the bundle's GGUF files"),
        "gguf_base_model": Fact(list, "the base models GGUF files name "
                                      "(`general.base_model.N.repo_url`, else `.name`)"),
        "gguf_name": Fact(list, "`general.name` of the bundle's GGUF files"),
    }

    def scan_bundle(self, ctx):
        licences: list[str] = []
        bases: list[str] = []
        names: list[str] = []
        for file in ctx.inventory.files:
            if file.suffix != ".gguf" or not file.readable:
                continue
            from aiart_release.readers import gguf  # a GGUF file: rare

            try:
                meta = gguf.read_gguf(file.abspath)  # not Path(): copied on open
            except (gguf.GGUFError, OSError) as exc:
                yield self._unreadable(file, str(exc))
                continue
            _add(licences, meta.values.get("general.license"))
            _add(names, meta.values.get("general.name"))
            for base in gguf.base_models(meta.values):
                _add(bases, base)
        if licences or bases or names:
            ctx.provide({"gguf_license": licences, "gguf_base_model": bases,
                         "gguf_name": names})

    def _unreadable(self, file, reason: str) -> Finding:
        return unreadable(file, self.id, f"GGUF metadata could not be read: {reason}",
                          "Re-export the file with llama.cpp's gguf tools, or exclude it")


def unreadable(file, check: str, message: str, remediation: str) -> Finding:
    """``bundle.unreadable`` for a binary model file (the text reader's
    finding says "as text")."""
    return Finding(
        id="bundle.unreadable",
        severity=Severity.MEDIUM,
        message=message,
        location=Location(path=file.path),
        remediation=remediation,
        check=check,
        checkpoint=CHECKPOINT_OF_ARTIFACT.get(file.artifact),
        artifact=file.artifact,
        matched=message,
    )


def _add(values: list[str], value) -> None:
    if isinstance(value, str) and value and value not in values:
        values.append(value[:200])
