#!/usr/bin/env python3
"""Builds a `docker save` archive from layer tarballs, for tests that need layers no Debian tool
makes (opaque whiteouts, hostile entries). Usage:
  mkimage.py OUT.tar TAG [--new] [--cmd ARG]... [--env K=V]... LAYER.tar...
Classic layout (ID/layer.tar, ID.json, manifest.json) by default; --new writes docker 25's
(blobs/sha256/..., index.json, oci-layout, manifest.json)."""
import hashlib, io, json, sys, tarfile

def main():
    args = sys.argv[1:]
    out, tag = args[0], args[1]
    new, cmd, env, layers = False, [], [], []
    i = 2
    while i < len(args):
        if args[i] == '--new':
            new = True
        elif args[i] == '--cmd':
            i += 1; cmd.append(args[i])
        elif args[i] == '--env':
            i += 1; env.append(args[i])
        else:
            layers.append(open(args[i], 'rb').read())
        i += 1
    digests = [hashlib.sha256(l).hexdigest() for l in layers]
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Cmd": cmd or None, "Env": env or None},
              "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in digests]}}
    cfg = json.dumps(config).encode()
    cfg_hex = hashlib.sha256(cfg).hexdigest()
    files = []
    if new:
        names = ["blobs/sha256/" + d for d in digests]
        cfg_name = "blobs/sha256/" + cfg_hex
        manifest = json.dumps({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + cfg_hex, "size": len(cfg)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": "sha256:" + d, "size": len(l)}
                       for d, l in zip(digests, layers)]}).encode()
        mhex = hashlib.sha256(manifest).hexdigest()
        index = json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + mhex, "size": len(manifest)}]}).encode()
        files += [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index),
                  ("blobs/sha256/" + mhex, manifest)]
    else:
        names = [d + "/layer.tar" for d in digests]
        cfg_name = cfg_hex + ".json"
    files += [(cfg_name, cfg)] + list(zip(names, layers))
    files.append(("manifest.json", json.dumps(
        [{"Config": cfg_name, "RepoTags": [tag], "Layers": names}]).encode()))
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        seen = set()
        for name, data in files:
            if name in seen:
                continue
            seen.add(name)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))

main()
