"""
Command-line overrides for the defaults at the top of each script (nanoGPT style, without exec):

    --key=value  or  --key value

Values are cast to the default's type (bool accepts true/false/1/0); unknown keys are an error, so a
typo cannot silently train the wrong model.
"""


def _cast(default, key, raw):
    if isinstance(default, bool):
        low = raw.lower()
        if low in ("1", "true", "yes"):
            return True
        if low in ("0", "false", "no"):
            return False
        raise SystemExit(f"--{key} expects true/false, got {raw!r}")
    try:
        return type(default)(raw)
    except ValueError:
        raise SystemExit(f"--{key} expects {type(default).__name__}, got {raw!r}") from None


def parse_overrides(argv, defaults: dict) -> dict:
    cfg = dict(defaults)
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--"):
            raise SystemExit(f"unexpected argument {arg!r} (options are --key=value)")
        key, eq, raw = arg[2:].partition("=")
        if not eq:
            if i + 1 >= len(argv):
                raise SystemExit(f"missing value for {arg}")
            i += 1
            raw = argv[i]
        if key not in cfg:
            raise SystemExit(f"unknown option --{key}; known: {', '.join(sorted(cfg))}")
        cfg[key] = _cast(cfg[key], key, raw)
        i += 1
    return cfg
