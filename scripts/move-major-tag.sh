#!/usr/bin/env bash
# Moves the major tag vN (what `uses: org/activeloop-role-action@v1` resolves) to a release vN.x.y,
# only when that release is the highest vN.x.y: publishing an older patch never moves vN backwards.
# Prereleases leave vN alone; a prerelease promoted to a release (GitHub's `released` event) moves it.
# Idempotent: a second run for the same release (GitHub sends both `published` and `released`) changes nothing.
#
# usage: move-major-tag.sh <tag> [prerelease: true|false]   (REMOTE defaults to origin)
# Tags with a suffix (v1.3.0-rc.1) are prereleases; only vMAJOR.MINOR.PATCH tags count as releases.
set -euo pipefail

tag="${1:?usage: move-major-tag.sh <vX.Y.Z> [prerelease]}"
prerelease="${2:-false}"
remote="${REMOTE:-origin}"

if [ "$prerelease" = true ]; then
  echo "$tag is a prerelease: the major tag is left alone."
  exit 0
fi
if ! [[ "$tag" =~ ^v([0-9]+)\.[0-9]+\.[0-9]+$ ]]; then
  echo "::error::Release tag '$tag' is not vMAJOR.MINOR.PATCH; mark it as a prerelease, or name it like v1.2.3."
  exit 1
fi
major="v${BASH_REMATCH[1]}"

# The newest tags, in case another release was published meanwhile.
git fetch --quiet --force --tags "$remote"
highest=$(git tag --list "$major.*" | grep -E "^$major\.[0-9]+\.[0-9]+$" | sort -V | tail -n 1)
if [ "$highest" != "$tag" ]; then
  echo "$tag is not the highest $major release ($highest is): $major stays where it is."
  exit 0
fi

target=$(git rev-parse "$tag^{commit}")
current=$(git rev-parse -q --verify "refs/tags/$major^{commit}" || true)
if [ "$current" = "$target" ]; then
  echo "$major already points to $tag."
  exit 0
fi
git tag -fa "$major" -m "$major -> $tag" "$target"
git push --quiet --force "$remote" "refs/tags/$major"
echo "Moved $major to $tag."
