"""Base models a release names outside its card metadata.

A model published by link has no card whose ``base_model`` a check could
read: InstructPix2Pix downloads Stable Diffusion v1.5 in a script
(``curl -L https://huggingface.co/runwayml/stable-diffusion-v1-5/resolve/main/
v1-5-pruned-emaonly.ckpt``), trains from it (``ckpt_path:
.../v1-5-pruned-emaonly.ckpt`` in configs/train.yaml) and says so in its
README ("trained by fine-tuning from an initial StableDiffusion checkpoint").
Each of these is read here, with where it was read, so that the licence
obligations of the base model (rules/base_models.yaml) apply:

- a download script (shell, or a Python file named for downloading) that
  fetches a known base model's files from the Hub, or passes its Hub id;
- a training configuration (a config file, or a training script) whose
  ``ckpt_path`` / ``pretrained_model_name_or_path`` / ``from_pretrained``
  names a known base model's Hub id, or a file a download script fetches
  from a known base model's repository;
- a README paragraph that says the model is fine-tuned from / based on a
  known base model, naming its Hub id, or a download script of one.

Only Hub ids that rules/base_models.yaml knows count: a model named in
words ("Stable Diffusion") or a file path no script fetches is not a
claim. A copied-in upstream project (vendored, generated or fixture files)
says what its own authors used, not what this release is built on.
Every file is read once, bounded (MAX_FILE_BYTES), at most MAX_FILES of
them; nothing is executed or parsed as code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from aiart_release import license_catalog
from aiart_release.masking import redact
from aiart_release.origin import is_vendored
from aiart_release.readers.text import TextUnreadable, read_text

from .readme import is_readme

MAX_FILE_BYTES = 256 * 1024
# A training configuration is a few kilobytes; a large JSON "config" is data.
MAX_CONFIG_BYTES = 64 * 1024
MAX_README_BYTES = 512 * 1024
# All scripts and configurations together: past it, the rest are not read.
MAX_TOTAL_BYTES = 8 * 1024 * 1024
# Scripts and configurations read per scan: a bundle of 100,000 configs is
# not read whole to find a base model.
MAX_FILES = 400
# Evidence kept per base model, strongest first.
MAX_EVIDENCE = 4
QUOTE_CHARS = 160

_SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".ps1", ".bat", ".cmd")
_CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".cfg", ".ini", ".conf")


@dataclass(frozen=True)
class Evidence:
    """One place that names a base model: the file, its line, the context
    of the words (``code``, ``config``, ``prose``) and what they say."""

    path: str
    line: int
    context: str
    says: str
    strength: int  # 3: a training configuration, 2: a README sentence, 1: a download


@dataclass(frozen=True)
class InferredBase:
    """A known base model, and everything that names it."""

    base: str
    evidence: tuple[Evidence, ...]

    @property
    def where(self) -> Evidence:
        return self.evidence[0]

    def described(self) -> str:
        return "; ".join(e.says for e in self.evidence)


# A Hub model URL: https://huggingface.co/<org>/<name>[/resolve|blob/<rev>/<file>]
@cache
def _hub_url() -> re.Pattern[str]:
    return re.compile(r"(?i)\bhttps?://(?:www\.)?(?:huggingface\.co|hf\.co)/"
                      r"(?!(?:datasets|spaces|docs|settings|models|papers|blog)/)"
                      r"([\w.-]{1,96}/[\w.-]{1,96})"
                      r"(?:/(?:resolve|blob)/[\w.-]{1,64}/([^\s\"'?#)<>]{1,256}))?")


# A Hub id given to a loader or a training command.
@cache
def _id_literal() -> re.Pattern[str]:
    return re.compile(r"(?i)(?:\brepo_id\s*=\s*|\bsnapshot_download\(\s*|\bhf_hub_download\(\s*|"
                      r"\bfrom_pretrained\(\s*|--pretrained_model_name_or_path[= ]\s*|"
                      r"\b(?:MODEL_NAME|MODEL_ID|BASE_MODEL)\s*=\s*)"
                      r"[\"']?([\w.-]{1,96}/[\w.-]{1,96})")


# A configuration key that names the weights training starts from.
@cache
def _start_key() -> re.Pattern[str]:
    return re.compile(r"(?i)\b(ckpt_path|pretrained_model_name_or_path|model_name_or_path|"
                      r"base_model(?:_name_or_path|_path)?|pretrained_model(?:_path)?|"
                      r"pretrained_ckpt|init_ckpt|from_pretrained)\b[\"']?\s*[:=(]\s*"
                      r"[\"']?([^\s\"',)]{1,300})")


# Words that say the model was made from another one.
@cache
def _derived() -> re.Pattern[str]:
    return re.compile(r"(?i)\b(?:fine-?tun(?:ed|ing|es?)\s+(?:\w+\s+){0,3}?from|"
                      r"fine-?tun(?:ed|ing) (?:of|on top of)|based on|derived from|"
                      r"initiali[sz]ed (?:from|with)|(?:as )?(?:the|our) starting point|"
                      r"trained (?:on top of|starting from))\b")


@lru_cache(maxsize=4096)
def _known(hub_id: str) -> bool:
    return license_catalog.base_model_license(hub_id) is not None


def _own(f) -> bool:
    """A file of this release: not vendored, generated or test data."""
    return f.readable and f.context is None and not is_vendored(f.path)


def _read(f, limit: int) -> str | None:
    try:
        return read_text(f.abspath, limit)[0]
    except TextUnreadable:  # the text checks report it
        return None


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _is_script(f) -> bool:
    name = f.name.lower()
    return f.kind == "code" and (name.endswith(_SCRIPT_SUFFIXES)
                                 or (name.endswith(".py") and "download" in name))


def _is_training_config(f) -> bool:
    name = f.name.lower()
    return (f.kind == "config" and name.endswith(_CONFIG_SUFFIXES)) or (
        f.kind == "code" and name.endswith(".py")
        and re.search(r"train|fine-?_?tun", name) is not None)


@dataclass(frozen=True)
class Reading:
    """What the release's own scripts, configurations and READMEs say about
    its model: the known base models they name, and the download scripts
    that fetch weights named after the release (its model, published by
    link)."""

    bases: tuple[InferredBase, ...]
    model_downloads: tuple[str, ...]


def infer(inventory) -> list[InferredBase]:
    """The known base models the release's scripts, configurations and
    READMEs name, each with its evidence, strongest first."""
    return list(read_release(inventory).bases)


def read_release(inventory) -> Reading:
    own = [f for f in inventory.files if _own(f) and f.size <= MAX_FILE_BYTES]
    found: dict[str, list[Evidence]] = {}
    fetched: dict[str, tuple[str, str]] = {}  # file name -> (Hub id, script)
    script_bases: dict[str, set[str]] = {}
    weights: dict[str, list[str]] = {}  # script -> the other weight files it fetches
    scripts = [f for f in own if _is_script(f)]
    configs = [f for f in own if _is_training_config(f) and f.size <= MAX_CONFIG_BYTES]
    for f in _within_budget(scripts):
        text = _read(f, MAX_FILE_BYTES)
        if text is not None:
            script_bases[f.path] = _from_script(f.path, text, found, fetched)
            weights[f.path] = _weight_files(text)
    for f in _within_budget(configs):
        text = _read(f, MAX_CONFIG_BYTES)
        if text is not None:
            _from_config(f, text, found, fetched)
    title = ""
    for f in inventory.files:
        if _own(f) and is_readme(f.name) and f.size <= MAX_README_BYTES:
            text = _read(f, MAX_README_BYTES)
            if text is not None:
                _from_readme(f.path, text, found, script_bases)
                if "/" not in f.path and not title:
                    title = heading(text)
    out = []
    for base, evidence in found.items():
        unique = {(e.path, e.line): e for e in evidence}.values()
        ordered = sorted(unique, key=lambda e: (-e.strength, e.path, e.line))
        out.append(InferredBase(base, tuple(ordered[:MAX_EVIDENCE])))
    bases = tuple(sorted(out, key=lambda b: (-b.where.strength, b.base)))
    named = _letters(title)
    downloads = tuple(path for path, files in weights.items()
                      if named and any(_named_after(name, named) for name in files))
    return Reading(bases, downloads)


_WEIGHT_SUFFIXES = (".ckpt", ".safetensors", ".pt", ".pth", ".bin", ".gguf", ".onnx", ".h5")


@cache
def _any_url() -> re.Pattern[str]:
    return re.compile(r"(?i)\bhttps?://[^\s\"'<>()]{1,400}")


def _weight_files(text: str) -> list[str]:
    """The weight files a script fetches from anywhere but a known base
    model's repository."""
    out = []
    for match in _any_url().finditer(text):
        url = match.group(0).split("?", 1)[0]
        hub = _hub_url().match(url)
        if hub and _known(hub.group(1)):
            continue
        name = url.rsplit("/", 1)[-1]
        if name.lower().endswith(_WEIGHT_SUFFIXES):
            out.append(name)
    return out[:50]


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _named_after(file_name: str, title_letters: str) -> bool:
    """Whether a weights file is named after the release ("instruct-pix2pix-
    00-22000.ckpt" under "# InstructPix2Pix: ..."): its name, without the
    suffix and trailing step or version numbers, is in the README's title."""
    stem = re.sub(r"[-_.]*[\d._-]*$", "", file_name.rsplit(".", 1)[0])
    letters = _letters(stem)
    return len(letters) >= 4 and letters not in _GENERIC_WEIGHTS and letters in title_letters


# Names any project gives its weights: they say nothing about whose they are.
_GENERIC_WEIGHTS = frozenset({"model", "models", "pytorchmodel", "diffusionpytorchmodel",
                              "weights", "checkpoint", "checkpoints", "last", "best", "final",
                              "latest", "pretrained", "ema", "unet", "vae", "lora"})


def heading(text: str) -> str:
    """The first level-one Markdown heading of a text, or ""."""
    match = re.search(r"^#\s+(.{1,200})$", text[:20000], re.MULTILINE)
    return match.group(1) if match else ""


def _within_budget(files: list) -> list:
    """The first MAX_FILES files, as long as their bytes stay within MAX_TOTAL_BYTES."""
    out, total = [], 0
    for f in files[:MAX_FILES]:
        total += f.size
        if total > MAX_TOTAL_BYTES:
            break
        out.append(f)
    return out


def _add(found: dict[str, list[Evidence]], base: str, evidence: Evidence) -> None:
    found.setdefault(base, []).append(evidence)


def _from_script(path: str, text: str, found, fetched) -> set[str]:
    bases = set()
    for match in _hub_url().finditer(text):
        base, file = match.group(1), match.group(2)
        if not _known(base):
            continue
        bases.add(base)
        if file:
            fetched.setdefault(file.rsplit("/", 1)[-1], (base, path))
        url = match.group(0)[:QUOTE_CHARS]
        _add(found, base, Evidence(path, _line(text, match.start()), "code",
                                   f"{path} downloads {url}", 1))
    for match in _id_literal().finditer(text):
        base = match.group(1)
        if _known(base):
            bases.add(base)
            said = " ".join(match.group(0).split())[:QUOTE_CHARS]
            _add(found, base, Evidence(path, _line(text, match.start()), "code",
                                       f"{path} passes `{said}`", 2))
    return bases


def _from_config(f, text: str, found, fetched) -> None:
    context = "config" if f.kind == "config" else "code"
    for match in _start_key().finditer(text):
        key, value = match.group(1), match.group(2).strip("\"'")
        url = _hub_url().match(value)
        base = url.group(1) if url else value
        said = f"`{key}: {value[:QUOTE_CHARS]}` in {f.path}"
        if not _known(base):
            name = value.rsplit("/", 1)[-1]
            if name not in fetched:
                continue
            base, script = fetched[name]
            said += f", the file {script} downloads from {base}"
        _add(found, base, Evidence(f.path, _line(text, match.start()), context, said, 3))


def _from_readme(path: str, text: str, found, script_bases: dict[str, set[str]]) -> None:
    """Paragraphs that say the model derives from a known base model (its
    Hub id or URL, or a download script of one, in the paragraph or the code
    block right after it)."""
    for start, paragraph in _paragraphs(text):
        derived = _derived().search(paragraph)
        if not derived:
            continue
        bases = {m.group(1) for m in _hub_url().finditer(paragraph) if _known(m.group(1))}
        bases |= {m.group(1) for m in _bare_id().finditer(paragraph) if _known(m.group(1))}
        for script, named in script_bases.items():
            if script in paragraph:
                bases |= named
        line = _line(text, start + derived.start())
        quote = redact(_sentence(paragraph, derived.start())) if bases else ""
        for base in bases:
            _add(found, base, Evidence(path, line, "prose", f"{path} line {line}: “{quote}”", 2))


@cache
def _bare_id() -> re.Pattern[str]:
    # org/name outside a URL or a path ("runwayml/stable-diffusion-v1-5").
    return re.compile(r"(?<![\w/.:-])([A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96})(?![\w/])")


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """(offset, paragraph) for each paragraph, a fenced code block right
    after a paragraph joined to it ("run the following script: ```bash
    scripts/download.sh```")."""
    out: list[tuple[int, str]] = []
    for match in re.finditer(r"(?s)(?:[^\n]|\n(?!\s*\n))+", text):
        chunk = match.group(0)
        if out and chunk.lstrip().startswith(("```", "~~~")):
            offset, before = out[-1]
            out[-1] = (offset, before + "\n\n" + chunk)
        else:
            out.append((match.start(), chunk))
    return out


def _sentence(paragraph: str, at: int) -> str:
    start = max(paragraph.rfind(". ", 0, at) + 2, paragraph.rfind("\n", 0, at) + 1, 0)
    end = paragraph.find(". ", at)
    sentence = " ".join(paragraph[start:end + 1 if end != -1 else None].split())
    return sentence if len(sentence) <= QUOTE_CHARS else sentence[:QUOTE_CHARS - 1] + "…"
