#!/usr/bin/env bash
# A tiny signed APT repository standing in for an upstream archive (no Ubuntu archive is reachable in CI):
#   upstream.sh VERSION [KEY]   builds gohost-mirror-probe VERSION (zstd-compressed, as noble's packages are),
#                               writes /srv/upstream/dists/stable/{Release,InRelease,Release.gpg} signed with KEY
#                               ("upstream", default, or "rogue": a key the mirror does not trust)
# Keys live in /root/upstream-gnupg; the public upstream key is exported to /srv/upstream-keyring.gpg.
set -euo pipefail
version=$1
key=${2:-upstream}
export GNUPGHOME=/root/upstream-gnupg
mkdir -p "$GNUPGHOME" && chmod 0700 "$GNUPGHOME"
for k in upstream rogue; do
  if ! gpg --batch --list-secret-keys "$k@upstream.test" >/dev/null 2>&1; then
    gpg --batch --passphrase '' --quick-gen-key "$k <$k@upstream.test>" ed25519 sign never 2>/dev/null
  fi
done
gpg --batch --export upstream@upstream.test >/srv/upstream-keyring.gpg
gpg --batch --export rogue@upstream.test >/srv/rogue-keyring.gpg

root=/srv/upstream
pkg=$(mktemp -d)
mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/gohost-mirror-probe" "$root/pool/main" "$root/dists/stable/main/binary-amd64"
cat >"$pkg/DEBIAN/control" <<CTRL
Package: gohost-mirror-probe
Version: $version
Architecture: all
Maintainer: noble.gohost tests <tests@upstream.test>
Depends: hello
Description: probe package of the apt_mirror scenario
 Installed on the client only through the mirror.
CTRL
echo "$version" >"$pkg/usr/share/gohost-mirror-probe/version"
dpkg-deb --root-owner-group -Zzstd --build "$pkg" "$root/pool/main/gohost-mirror-probe_${version}_all.deb" >/dev/null
rm -rf "$pkg"
cd "$root"
apt-ftparchive packages pool/main >dists/stable/main/binary-amd64/Packages
gzip -9kf dists/stable/main/binary-amd64/Packages
apt-ftparchive -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename=stable \
  -o APT::FTPArchive::Release::Components=main -o APT::FTPArchive::Release::Architectures=amd64 \
  -o APT::FTPArchive::Release::Origin=upstream.test release dists/stable >dists/stable/Release.new
mv dists/stable/Release.new dists/stable/Release
rm -f dists/stable/InRelease dists/stable/Release.gpg
gpg --batch --yes --local-user "$key@upstream.test" --clearsign -o dists/stable/InRelease dists/stable/Release
gpg --batch --yes --local-user "$key@upstream.test" -abs -o dists/stable/Release.gpg dists/stable/Release
