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

The same download scripts say what the release publishes by link: weights
named after it (``model_downloads``, its model), and data files (records,
tables, shards, archives) from the host that serves those weights, or named
after the release (a host, folder, file or Hub dataset of its name): its
dataset (``dataset_downloads``; InstructPix2Pix's download_data.sh fetches
``gpt-generated-prompts.jsonl`` and a folder of zip and json files from the
host of ``instruct-pix2pix-00-22000.ckpt``). Not counted: scripts that
evaluate (someone else's benchmark, for metrics), files named after another
known dataset (rules/datasets.yaml), installs and clones, comments, weights,
a model's configuration files, archives saved among the models.

Only Hub ids that rules/base_models.yaml knows count: a model named in
words ("Stable Diffusion") or a file path no script fetches is not a
claim. A copied-in upstream project (vendored, generated or fixture files)
says what its own authors used, not what this release is built on.
Every file is read once, bounded (MAX_FILE_BYTES), at most MAX_FILES of
them; nothing is executed or parsed as code.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from aiart_release import license_catalog
from aiart_release.masking import redact
from aiart_release.origin import is_vendored
from aiart_release.readers.text import TextUnreadable, read_text
from aiart_release.records import dataclass

from . import known_datasets
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
    dataset_downloads: tuple[DataDownload, ...] = ()


def infer(inventory) -> list[InferredBase]:
    """The known base models the release's scripts, configurations and
    READMEs name, each with its evidence, strongest first."""
    return list(read_release(inventory).bases)


def read_release(inventory) -> Reading:
    own = [f for f in inventory.files if _own(f) and f.size <= MAX_FILE_BYTES]
    found: dict[str, list[Evidence]] = {}
    fetched: dict[str, tuple[str, str]] = {}  # file name -> (Hub id, script)
    script_bases: dict[str, set[str]] = {}
    fetches: dict[str, list[Fetch]] = {}  # script -> what it fetches, known bases aside
    scripts = [f for f in own if _is_script(f)]
    configs = [f for f in own if _is_training_config(f) and f.size <= MAX_CONFIG_BYTES]
    for f in _within_budget(scripts):
        text = _read(f, MAX_FILE_BYTES)
        if text is not None:
            script_bases[f.path] = _from_script(f.path, text, found, fetched)
            fetches[f.path] = _fetches(text)
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
    own_weights = {path: [f for f in found_here if f.weights and _named_after(f.name, named)]
                   for path, found_here in fetches.items()} if named else {}
    downloads = tuple(path for path, own in own_weights.items() if own)
    hosts = frozenset(f.host for own in own_weights.values() for f in own)
    data = release_data(fetches, _letters(release_name(title)), hosts)
    return Reading(bases, downloads, data)


# --- what the release's own scripts download --------------------------------

_WEIGHT_SUFFIXES = (".ckpt", ".safetensors", ".pt", ".pth", ".bin", ".gguf", ".onnx", ".h5")
# Files a dataset is published in: records, tables, shards, archives of them.
_DATA_SUFFIXES = (".jsonl", ".json", ".parquet", ".arrow", ".csv", ".tsv", ".tfrecord",
                  ".tfrecords", ".npz", ".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2",
                  ".tar.xz", ".tar.zst", ".7z")
# Fetches per script kept: past it, a script is a list of URLs, read no further.
MAX_FETCHES = 200


@dataclass(frozen=True)
class Fetch:
    """One URL (or Hub dataset) a script fetches, on its (logical) line."""

    line: int
    url: str
    host: str
    name: str  # the file's name, or the last folder of a folder fetched whole
    weights: bool
    data: bool
    hub_dataset: str = ""  # org/name of a Hub dataset


@dataclass(frozen=True)
class DataDownload:
    """A dataset the release's own script downloads: where, and from where."""

    path: str
    line: int
    url: str
    hub_dataset: str = ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@cache
def _any_url() -> re.Pattern[str]:
    return re.compile(r"(?i)\bhttps?://[^\s\"'<>()]{1,400}")


@dataclass(frozen=True)
class _DownloadPatterns:
    hub_dataset_url: re.Pattern[str]
    hub_dataset_call: re.Pattern[str]
    repo_id: re.Pattern[str]
    installs: re.Pattern[str]
    recursive: re.Pattern[str]
    accepts_data: re.Pattern[str]
    weights_folder: re.Pattern[str]
    model_file_name: re.Pattern[str]


@cache
def _patterns() -> _DownloadPatterns:
    return _DownloadPatterns(
        hub_dataset_url=re.compile(r"(?i)^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/"
                                   r"datasets/([\w.-]{1,96}/[\w.-]{1,96})"),
        # A Hub dataset fetched by id: `load_dataset("org/name")`, a download
        # call with `repo_type="dataset"`, `huggingface-cli download org/name
        # --repo-type dataset`.
        hub_dataset_call=re.compile(
            r"(?i)\b(?:load_dataset|snapshot_download|hf_hub_download)\(([^()]{0,400})\)"
            r"|\b(?:huggingface-cli|hf)\s+download\s+([^\n]{0,400})"),
        repo_id=re.compile(r"(?<![\w/.:-])[\"']?([A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96})[\"']?"
                           r"(?![\w/])"),
        # Lines that install software or clone code: their URLs are no data.
        installs=re.compile(r"(?i)\b(?:pip3?|conda|mamba|micromamba|apt(?:-get)?|brew|npm|"
                            r"yarn|cargo|uv)\s+(?:\S+\s+)?(?:install|add|create|env)\b"
                            r"|\bgit\s+clone\b"),
        # `wget -r -A zip,json URL/`: a recursive download that keeps only
        # data files (flags are case-sensitive: -R rejects, -r recurses).
        # Two searches, not one pattern with `.*` between: linear on a line
        # of a quarter megabyte.
        recursive=re.compile(r"\s-[a-zA-Z]{0,8}r[a-zA-Z]{0,8}\b|--recursive\b|--mirror\b"),
        accepts_data=re.compile(r"(?:\s-A\s*|--accept[= ])[\"']?[\w,.*]{0,100}?\b"
                                r"(?:zip|jsonl?|parquet|tar|tgz|csv|tsv|tfrecords?|arrow|npz)\b"),
        # A command that saves into a folder of weights fetches a model.
        weights_folder=re.compile(r"(?i)(?:^|[\s/=\"'])(?:checkpoints?|ckpts?|models?|weights|"
                                  r"pretrained(?:_models?)?|first_stage_models)/"),
        # Names of files that configure a model rather than hold data.
        model_file_name=re.compile(r"(?i)config|tokeni[sz]er|vocab|merges|hparams|args|index|"
                                   r"special_tokens|scheduler|model|checkpoint|ckpt|weights"),
    )


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, line) with backslash continuations joined:
    `wget -r ... \\\n  http://host/data/` is one command."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 1
    for number, line in enumerate(text.split("\n"), start=1):
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        out.append((start, " ".join([*pending, line])))
        pending = []
    if pending:
        out.append((start, " ".join(pending)))
    return out


def _fetches(text: str) -> list[Fetch]:
    """What a script fetches: every URL outside comments and install or
    clone commands, but a known base model's repository (the base models'
    own evidence), and the Hub datasets it loads by id."""
    out: list[Fetch] = []
    for number, line in _logical_lines(text):
        stripped = line.lstrip()
        if stripped.startswith(("#", "//", "::")) or stripped[:4].lower() == "rem " \
                or _patterns().installs.search(line):
            continue
        recursive = (_patterns().recursive.search(line) is not None
                     and _patterns().accepts_data.search(line) is not None)
        into_weights = _patterns().weights_folder.search(_any_url().sub(" ", line)) is not None
        for match in _any_url().finditer(line):
            out.append(_fetch(number, match.group(0), recursive, into_weights))
            if len(out) >= MAX_FETCHES:
                return [f for f in out if f is not None]
    out += _hub_dataset_ids(text)
    return [f for f in out if f is not None]


def _fetch(number: int, raw: str, recursive: bool, into_weights: bool) -> Fetch | None:
    url = raw.split("?", 1)[0].split("#", 1)[0].rstrip(".,;")
    hub = _hub_url().match(url)
    if hub and _known(hub.group(1)):
        return None
    host = url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0].lower()
    parts = [p for p in url.split("://", 1)[1].split("/")[1:] if p]
    name = parts[-1] if parts else ""
    lower = name.lower()
    weights = lower.endswith(_WEIGHT_SUFFIXES)
    dataset = _patterns().hub_dataset_url.match(url)
    data = not weights and not into_weights and (
        dataset is not None or recursive
        or (lower.endswith(_DATA_SUFFIXES) and not _patterns().model_file_name.search(lower)))
    return Fetch(number, url[:QUOTE_CHARS], host, name, weights, data,
                 dataset.group(1) if dataset else "")


def _hub_dataset_ids(text: str) -> list[Fetch]:
    out = []
    for match in _patterns().hub_dataset_call.finditer(text):
        call, cli = match.group(1), match.group(2)
        args = call if call is not None else cli
        is_dataset = match.group(0).lower().startswith("load_dataset") or re.search(
            r"(?i)repo_type\s*=\s*[\"']dataset|--repo-type[= ]dataset", args)
        literal = _patterns().repo_id.search(args)
        if is_dataset and literal:
            hub_id_ = literal.group(1)
            out.append(Fetch(_line(text, match.start()), hub_id_, "huggingface.co",
                             hub_id_.rsplit("/", 1)[-1], False, True, hub_id_))
        if len(out) >= MAX_FETCHES:
            break
    return out


def release_name(title: str) -> str:
    """The release's name in its README's title: the words before a colon
    or a dash ("InstructPix2Pix: Learning to Follow..." -> "InstructPix2Pix"),
    without HTML or Markdown links around it."""
    plain = re.sub(r"<[^>]{0,500}>", " ", title)
    plain = re.sub(r"!?\[([^\]]{0,200})\]\([^)]{0,500}\)", r"\1", plain)
    return re.split(r"\s*(?::|\s[-–—|]\s|\()", plain.strip(), maxsplit=1)[0]


def release_data(fetches: dict[str, list[Fetch]], name: str,
                 weight_hosts: frozenset[str]) -> tuple[DataDownload, ...]:
    """The data files the release's own scripts fetch as its dataset: from
    the host that serves the release's own weights, or named after the
    release (the host, a folder, the file, the Hub dataset). Scripts that
    evaluate (someone else's benchmark, for metrics) and files named after
    another known dataset are not the release's."""
    out = []
    for path, found in fetches.items():
        if _evaluates(path):
            continue
        for f in found:
            if not f.data or _names_other_dataset(f.name, name):
                continue
            if f.host in weight_hosts or _names_release(f, name):
                out.append(DataDownload(path, f.line, f.url, f.hub_dataset))
    return tuple(out)


def _evaluates(path: str) -> bool:
    return re.search(r"(?i)(?:^|[/_.-])(?:eval\w*|metrics?|benchmarks?|tests?)(?=[/_.-]|$)",
                     path) is not None


def _names_release(f: Fetch, name: str) -> bool:
    labels = f.host.split(".")[:-1]  # not the top-level domain
    parts = f.url.split("://", 1)[-1].split("/")[1:]
    stems = [f.hub_dataset.rsplit("/", 1)[-1]] if f.hub_dataset else [*labels, *parts]
    return any(_same_name(_letters(re.sub(r"\.[a-z0-9]{1,8}$", "", s.lower())), name)
               for s in stems)


def _same_name(letters: str, name: str) -> bool:
    """Whether a host label, folder or file stem names the release: the
    same letters, or one holds the other and both are long enough not to be
    a common word."""
    if len(letters) < 4 or len(name) < 4 or letters in _GENERIC_WEIGHTS:
        return False
    return letters == name or (len(letters) >= 6 and letters in name) or (
        len(name) >= 6 and name in letters)


def _names_other_dataset(file_name: str, name: str) -> bool:
    """A file named after a known public dataset that is not the release
    ("coco_val2017.zip", "imagenet-val.tar"): someone else's data, fetched to
    evaluate or train on."""
    stem = file_name.rsplit(".", 1)[0]
    for token in {stem, *re.split(r"[-_.\s]+", stem)[:12]}:
        known = known_datasets.match_id(token) if len(token) >= 3 else None
        if known is not None and not _same_name(_letters(known.id), name):
            return True
    return False


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
