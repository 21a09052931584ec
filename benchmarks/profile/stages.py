#!/usr/bin/env python3
"""Splits a `perf script` dump of the server into request-path stages.

Each sample goes to the first rule that matches: native libraries by the sampled frame's library (libjpeg-turbo in
Skia, ONNX Runtime and OpenSSL are built without frame pointers, so their callers are not seen), managed code by any
frame of its stack (the runtime writes a perf map when DOTNET_PerfMapEnabled=1). Usage:
    perf script -i perf.data | stages.py [CPU_MS_PER_PHOTO]
With the CPU per photo (from `fidamia bench load --json`), each share is also given in milliseconds per photo.
"""
import collections
import re
import sys

RULES = [
    ("leaf", r"libSkiaSharp", "decode: libjpeg-turbo (Skia)", True),
    ("leaf", r"libonnxruntime", "inference: ONNX Runtime", True),
    ("leaf", r"libcrypto", "SHA-256 (OpenSSL): the archive's content address", False),
    ("any", r"System\.IO\.Hashing", "fingerprint (XXH3-128)", False),
    ("any", r"PhotoMetadataStripper", "archive: metadata strip (copy + segment walk)", False),
    ("any", r"FilePhotoArchive", "archive: file write", False),
    ("any", r"SkiaDecodedPhoto|TensorPlanes", "resize + tensor write", False),
    ("any", r"PhotoHash", "difference hash", False),
    ("any", r"PhotoInspector|PhotoCompleteness|PhotoMetadataBlocks|ExifProfile|SixLabors", "inspection: Identify, completeness, EXIF", False),
    ("any", r"SkiaPhotoDecoder", "decode: Skia set-up", False),
    ("any", r"Sqlite|e_sqlite3|Fidamia\.Storage", "store (SQLite)", False),
    ("any", r"Google\.Protobuf|Grpc\.AspNetCore|Grpc\.Core", "gRPC + protobuf parse", False),
    ("any", r"Kestrel|System\.IO\.Pipelines|System\.Net\.Sockets|Http2|PhotoBytesAdmission", "HTTP/2 receive (Kestrel, sockets)", False),
    ("any", r"InferenceScheduler|OnnxImageModel|Fidamia\.Inference", "scheduler + ORT binding", False),
    ("any", r"Fidamia", "pipeline: other managed", False),
]
FALLBACK = [
    (r"kernel", "kernel: other (scheduling, page faults)"),
    (r"libcoreclr", "runtime (GC, JIT, stubs)"),
    (r"libc\.so", "libc: memcpy/memset, other"),
]


def classify(frames):
    leaf = frames[0] if frames else ""
    for kind, pattern, name, _ in RULES:
        if kind == "leaf" and re.search(pattern, leaf):
            return name
        if kind == "any" and any(re.search(pattern, f) for f in frames):
            return name
    for pattern, name in FALLBACK:
        if re.search(pattern, leaf):
            return name
    return "managed: other"


def samples(lines):
    frames, started = [], False
    for line in lines:
        if not line.strip():
            if started:
                yield frames
            frames, started = [], False
        elif line[0] in " \t":
            frames.append(line.strip())
        else:
            if started:
                yield frames
            frames, started = [], True
    if started:
        yield frames


def main():
    per_photo = float(sys.argv[1]) if len(sys.argv) > 1 else None
    counts = collections.Counter(classify(f) for f in samples(sys.stdin))
    total = sum(counts.values())
    if total == 0:
        sys.exit("no samples")
    floor_names = {name for _, _, name, floor in RULES if floor}
    print(f"| stage | share | {'ms per photo |' if per_photo else ''}")
    print(f"|---|---:|{'---:|' if per_photo else ''}")
    for name, count in counts.most_common():
        share = count / total
        mark = " (floor)" if name in floor_names else ""
        ms = f" {share * per_photo:.1f} |" if per_photo else ""
        print(f"| {name}{mark} | {share * 100:.1f} % |{ms}")
    floor_share = sum(counts[n] for n in floor_names) / total
    print(f"\n{total} samples; decode + inference {floor_share * 100:.1f} %, the rest {100 - floor_share * 100:.1f} %")


if __name__ == "__main__":
    main()
