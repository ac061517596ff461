#!/usr/bin/env bash
# fleet-pilot server kit installer: run once while baking the server image. Installs the systemd
# units and scripts that implement the server side of the user-data contract, and records the app's
# own settings in /etc/fleet-pilot/kit.env. Settings come only from here (flags or --settings),
# never from user data. Running it again with the same settings gives the same files.
set -euo pipefail
KIT="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/fleet-pilot/common.sh
source "$KIT/lib/fleet-pilot/common.sh"
FLEET_TAG=fleet-pilot-install

usage() {
  cat <<'USAGE'
Usage: install.sh [options]
Install the fleet-pilot server kit (systemd units and scripts) into this image.

App settings (or KEY=value lines in a file given with --settings; flags win):
  --app-user NAME         user the app runs as (APP_USER, default fleetapp;
                          created if missing)
  --deploy-user NAME      user the deploy runs as, owner of releases/ and
                          current (DEPLOY_USER, default fleetdeploy; created
                          if missing, home /var/lib/fleet-pilot/deploy)
  --app-dir PATH          app directory with releases/, current and shared/
                          (APP_DIR, default /srv/app; the app writes only
                          shared/; under /home the units use
                          ProtectHome=read-only; not under /root, /run/user)
  --release-source SRC    s3://bucket/key.tar.gz, or a git repository URL
                          without credentials (RELEASE_SOURCE, required)
  --release-ref REF       git: a full commit id or a tag to deploy
                          (RELEASE_REF, required for git); a branch only
                          with --release-moving yes
  --release-sha256 HEX    S3: the tarball's SHA-256, checked before it is
                          unpacked (RELEASE_SHA256, required for S3 unless
                          --release-moving yes)
  --release-moving yes|no yes: deploy whatever the branch or the S3 object
                          holds at each deploy, unpinned (RELEASE_MOVING,
                          default no)
  --app-start CMD         app server command, run in the current release
                          (APP_START)
  --worker-start CMD      background worker command, run in the current
                          release (WORKER_START)
  --build-hook CMD        command run as the deploy user in a new release
                          before it goes live (BUILD_HOOK, optional)
  --server-roles LIST     roles whose servers run the app server,
                          comma-separated (SERVER_ROLES, default app); a
                          server of any other role runs the workers
  --app-port PORT         port the app server listens on, given to it as
                          $APP_PORT (APP_PORT, default 80; below 1024 its
                          unit gets CAP_NET_BIND_SERVICE to bind it)
  --health-path PATH      the app's health path, checked by
                          fleet-pilot-status (HEALTH_PATH, default /)
  --kit-health-port PORT  port of the kit's own health endpoint, GET /health,
                          served by fleet-pilot-health.socket on every server
                          (KIT_HEALTH_PORT, default 9180, the port of the
                          job role's default health check; not APP_PORT)
  --keep-releases N       releases kept on disk (KEEP_RELEASES, default 5)
  --fetch-attempts N      fetch attempts before the deploy fails
                          (FETCH_ATTEMPTS, default 5)
  --fetch-backoff SECONDS first retry delay, doubling up to 60
                          (FETCH_BACKOFF_SECONDS, default 2)
  --settings FILE         read settings from FILE first
At least one of --app-start and --worker-start is required.

Install location:
  --prefix PATH           scripts go to PATH/sbin and PATH/lib/fleet-pilot
                          (default /usr/local)
  --destdir PATH          stage everything under PATH (or set DESTDIR);
                          systemd is not reloaded, and users and owners are
                          set only when run as root and PATH has its own
                          etc/passwd
  -h, --help              this help
USAGE
}

declare -A FLAGS=(
  [--app-user]=APP_USER [--deploy-user]=DEPLOY_USER [--app-dir]=APP_DIR [--app-port]=APP_PORT
  [--release-source]=RELEASE_SOURCE [--release-ref]=RELEASE_REF [--release-sha256]=RELEASE_SHA256
  [--release-moving]=RELEASE_MOVING [--app-start]=APP_START [--worker-start]=WORKER_START
  [--build-hook]=BUILD_HOOK [--server-roles]=SERVER_ROLES [--health-path]=HEALTH_PATH
  [--kit-health-port]=KIT_HEALTH_PORT [--keep-releases]=KEEP_RELEASES
  [--fetch-attempts]=FETCH_ATTEMPTS [--fetch-backoff]=FETCH_BACKOFF_SECONDS
)
declare -A given=()
prefix=/usr/local
destdir=${DESTDIR:-}
settings_file=''

while (($# > 0)); do
  flag=$1
  case $flag in
  -h | --help) usage && exit 0 ;;
  --prefix | --destdir | --settings | --*) (($# >= 2)) || fleet_die "$flag needs a value (see --help)" ;;
  *) fleet_die "unexpected argument '$flag' (see --help)" ;;
  esac
  case $flag in
  --prefix) prefix=$2 ;;
  --destdir) destdir=$2 ;;
  --settings) settings_file=$2 ;;
  *)
    [[ -n ${FLAGS[$flag]:-} ]] || fleet_die "unknown option $flag (see --help)"
    given[${FLAGS[$flag]}]=$2
    ;;
  esac
  shift 2
done

[[ $prefix =~ ${FLEET_SETTING_RULES[APP_DIR]} ]] || fleet_die_rule --prefix "$prefix" APP_DIR
# shellcheck disable=SC2034 # read back through ${!key}
APP_USER=fleetapp DEPLOY_USER=fleetdeploy APP_DIR=/srv/app APP_PORT=80 RELEASE_REF='' RELEASE_SHA256=''
# shellcheck disable=SC2034
RELEASE_MOVING=no SERVER_ROLES=app HEALTH_PATH=/ KEEP_RELEASES=5 FETCH_ATTEMPTS=5 FETCH_BACKOFF_SECONDS=2
# shellcheck disable=SC2034
KIT_HEALTH_PORT=9180 RELEASE_SOURCE='' APP_START='' WORKER_START='' BUILD_HOOK=''
if [[ -n $settings_file ]]; then
  [[ -f $settings_file ]] || fleet_die "--settings: $settings_file does not exist"
  fleet_read_settings "$settings_file"
fi
for key in "${!given[@]}"; do printf -v "$key" '%s' "${given[$key]}"; done

flag_of() {
  local flag
  for flag in "${!FLAGS[@]}"; do [[ ${FLAGS[$flag]} == "$1" ]] && printf '%s' "$flag"; done
}
fleet_setting_name() { printf '%s (%s)' "$(flag_of "$1")" "$1"; }
fleet_check_settings

# ProtectHome=yes hides /home, /root and /run/user whole, and ReadWritePaths= below them cannot bring
# a directory back; ProtectHome=read-only can. /root and /run/user are no app user's to write.
case $APP_DIR/ in
/root/* | /run/user/*) fleet_die "--app-dir (APP_DIR): '$APP_DIR' is under /root or /run/user, which the units hide from the app; use e.g. /srv/app or /home/USER/app" ;;
/home/*) protect_home=read-only ;;
*) protect_home=yes ;;
esac
# A user other than root binds a port below 1024 only with this capability, given to the app alone.
bind_caps=''
((APP_PORT >= 1024)) || bind_caps=CAP_NET_BIND_SERVICE

umask 022
root=${destdir%/}
sbin="$prefix/sbin"
libexec="$prefix/lib/fleet-pilot"
units="/etc/systemd/system"
wants="$units/multi-user.target.wants"
deploy_home=/var/lib/fleet-pilot/deploy
# Users, groups and owners are set when running as root on the server itself, or into a staged root
# that has its own user database; a staging without either installs the files alone.
owners=no
if ((EUID == 0)) && [[ -z $root || -f $root/etc/passwd ]]; then owners=yes; fi

# --- Paths. As root, the installer writes only where no other user could have placed a link: each
# directory on the way must be owned by root (or, in a staged root, by whoever runs the installer)
# and writable by no one else; a symbolic link on the way is followed only when root owns it and
# its directory (only root could have made it, e.g. /usr/local on an ostree system). At a path it
# writes itself, a file or a directory of its own, any symbolic link is refused, since a link there
# would redirect root's write.

# Fails naming $1 (relative to the root) if a symbolic link stands there and it is not $2.
refuse_link() {
  local path=$root$1 expected=${2:-}
  if [[ -L $path ]]; then
    [[ -n $expected && $(readlink -- "$path") == "$expected" ]] ||
      fleet_die "$path is a symbolic link install.sh did not create: refusing to write through it (remove it and run install.sh again)"
  fi
}

# Whether uid $1 may own a directory on the way to a path: root, the user running the installer,
# and the extra uids in $2.
trusted_owner() { [[ " 0 $EUID ${2:-} " == *" $1 "* ]]; }

# Checks every existing component of $1 (absolute, relative to the root) as said above; uids in $2
# may own directories on the way too (the deploy user, for an APP_DIR in its home).
check_path() {
  local cur=$root part facts owner mode kind extra=${2:-}
  local -a parts
  IFS=/ read -r -a parts <<<"${1#/}"
  for part in "${parts[@]}"; do
    [[ -n $part ]] || continue
    cur+="/$part"
    [[ -e $cur || -L $cur ]] || return 0
    facts=$(stat -c '%u %a %F' -- "$cur")
    read -r owner mode kind <<<"$facts"
    if [[ $kind == 'symbolic link' ]]; then
      trusted_owner "$owner" || fleet_die "$cur is a symbolic link owned by uid $owner, not root: refusing to follow it"
      facts=$(stat -L -c '%u %a %F' -- "$cur") || fleet_die "$cur is a dangling symbolic link"
      read -r owner mode kind <<<"$facts"
    fi
    [[ $kind == directory ]] || fleet_die "$cur is a $kind, not a directory"
    trusted_owner "$owner" "$extra" || fleet_die "$cur is owned by uid $owner: another user could redirect what install.sh writes below it"
    (((8#$mode & 8#022) == 0)) || fleet_die "$cur has mode $mode (writable by group or others): another user could redirect what install.sh writes below it"
  done
}

uid_of() { awk -F: -v name="$1" '$1 == name { print $3 }' "$root/etc/passwd"; }
gid_of() { awk -F: -v name="$1" '$1 == name { print $3 }' "$root/etc/group"; }
primary_gid_of() { awk -F: -v name="$1" '$1 == name { print $4 }' "$root/etc/passwd"; }
home_of() { awk -F: -v name="$1" '$1 == name { print $6 }' "$root/etc/passwd"; }

# Runs a command as user $1 (numeric ids from the root's user database). A link a user planted in
# its own directory then redirects nothing but that user's own rights.
as_user() {
  local user=$1
  shift
  setpriv --reuid="$(uid_of "$user")" --regid="$(primary_gid_of "$user")" --clear-groups -- "$@"
}

# Everything checked before anything is written: a refusal leaves the system as it was.
deploy_uid=''
if [[ $owners == yes ]]; then deploy_uid=$(uid_of "$DEPLOY_USER"); fi
app_uid=''
if [[ $owners == yes ]]; then app_uid=$(uid_of "$APP_USER"); fi
for dir in "$sbin" "$libexec" "$units" "$wants" /etc/fleet-pilot "${deploy_home%/*}"; do check_path "$dir"; done
app_parent=${APP_DIR%/*}
app_parent=${app_parent:-/}
check_path "$app_parent" "$deploy_uid"
for path in "$libexec" /etc/fleet-pilot "$APP_DIR" "$APP_DIR/releases" "$APP_DIR/shared" "$deploy_home" \
  "$libexec/common.sh" "$libexec/fleet-pilot-run" "$libexec/fleet-pilot-health" \
  "$sbin/fleet-pilot-deploy" "$sbin/fleet-pilot-start" "$sbin/fleet-pilot-status" \
  /etc/fleet-pilot/kit.env /etc/fleet-pilot/kit.env.tmp; do
  refuse_link "$path"
done
for unit in "$KIT"/units/*; do refuse_link "$units/${unit##*/}" && refuse_link "$units/${unit##*/}.tmp"; done
refuse_link "$wants/fleet-pilot-role.target" "$units/fleet-pilot-role.target"
if [[ -n $app_uid ]]; then
  # The app must not own the way to its releases: it could swap a directory for a link.
  owner=$(stat -c %u -- "$root$app_parent" 2>/dev/null || true)
  [[ $owner != "$app_uid" ]] || fleet_die "--app-dir (APP_DIR): $app_parent belongs to the app user $APP_USER, who could replace the releases; use a directory root or $DEPLOY_USER owns"
fi
# A deploy user of the image's own keeps its home, which must be its own or root's alone.
home=''
if [[ -n $deploy_uid ]]; then home=$(home_of "$DEPLOY_USER"); fi
if [[ -n $home && $home != "$deploy_home" && -e $root$home ]]; then
  facts=$(stat -c '%u %a' -- "$root$home")
  read -r owner mode <<<"$facts"
  [[ ($owner == "$deploy_uid" || $owner == 0) && $((8#$mode & 8#022)) == 0 ]] ||
    fleet_die "--deploy-user (DEPLOY_USER): its home $home (owner uid $owner, mode $mode) must be its own or root's and writable by no one else, or the app could plant its dotfiles"
fi
for existing in "$APP_DIR/releases" "$APP_DIR/shared" "$APP_DIR"; do
  [[ ! -e $root$existing || -d $root$existing ]] || fleet_die "$root$existing exists and is not a directory"
done

# Creates directory $1 (relative to the root) with mode $2 unless it is there; parents as needed.
make_dir() {
  refuse_link "$1"
  # shellcheck disable=SC2174 # parents get 0755 from the umask, the directory itself $2
  [[ -d $root$1 ]] || mkdir -p -m "$2" -- "$root$1"
}

for dir in "$sbin" "$libexec" "$units" "$wants" /etc/fleet-pilot; do make_dir "$dir" 0755; done

# --- Users: the app runs as APP_USER, the deploy as DEPLOY_USER; both read kit.env through the
# kit's group. Neither is root, and the app cannot write what the deploy writes.
if [[ $owners == yes ]]; then
  prefix_args=()
  [[ -z $root ]] || prefix_args=(--prefix "$root")
  if [[ -z $(gid_of "$FLEET_GROUP") ]]; then groupadd "${prefix_args[@]}" --system "$FLEET_GROUP"; fi
  for user in "$DEPLOY_USER" "$APP_USER"; do
    if [[ -z $(uid_of "$user") ]]; then
      home=$deploy_home
      [[ $user == "$DEPLOY_USER" ]] || home=$APP_DIR/shared
      useradd "${prefix_args[@]}" --system --user-group --groups "$FLEET_GROUP" --home-dir "$home" \
        --no-create-home --shell /usr/sbin/nologin "$user"
      fleet_log info "created user $user"
    elif ! awk -F: -v g="$FLEET_GROUP" -v u="$user" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) found = 1 } END { exit !found }' "$root/etc/group"; then
      usermod "${prefix_args[@]}" --append --groups "$FLEET_GROUP" "$user"
    fi
  done
  deploy_uid=$(uid_of "$DEPLOY_USER") app_uid=$(uid_of "$APP_USER")
  deploy_gid=$(primary_gid_of "$DEPLOY_USER") app_gid=$(primary_gid_of "$APP_USER")

  # The deploy's home holds its dotfiles (git credentials, ssh key and known_hosts): its own, 0700.
  home=$(home_of "$DEPLOY_USER")
  if [[ $home == "$deploy_home" ]]; then
    make_dir "${deploy_home%/*}" 0755
    make_dir "$deploy_home" 0700
    chown -h "$deploy_uid:$deploy_gid" -- "$root$deploy_home"
  fi

  # APP_DIR and releases/ belong to the deploy; shared/ is the one place the app writes. Below
  # APP_DIR the deploy user could race a check, so what happens there runs as that user, or changes
  # owners without following links (chown -h).
  if [[ ! -d $root$APP_DIR ]]; then
    if [[ $(stat -c %u -- "$root$app_parent") == "$deploy_uid" ]]; then
      as_user "$DEPLOY_USER" mkdir -m 0755 -- "$root$APP_DIR"
    else
      # shellcheck disable=SC2174 # parents get 0755 from the umask
      mkdir -p -m 0755 -- "$root$APP_DIR"
    fi
  fi
  chown -h "$deploy_uid:$deploy_gid" -- "$root$APP_DIR"
  as_user "$DEPLOY_USER" chmod 0755 -- "$root$APP_DIR"
  refuse_link "$APP_DIR/releases"
  if [[ ! -d $root$APP_DIR/releases ]]; then
    as_user "$DEPLOY_USER" mkdir -m 0755 -- "$root$APP_DIR/releases"
  elif [[ $(stat -c %u -- "$root$APP_DIR/releases") != "$deploy_uid" ]]; then
    # Releases an earlier kit deployed as the app user: the deploy's from now on (-P: no link followed).
    chown -R -P "$deploy_uid:$deploy_gid" -- "$root$APP_DIR/releases"
  fi
  if [[ -L $root$APP_DIR/current ]]; then chown -h "$deploy_uid:$deploy_gid" -- "$root$APP_DIR/current"; fi
  refuse_link "$APP_DIR/shared"
  [[ -d $root$APP_DIR/shared ]] || as_user "$DEPLOY_USER" mkdir -m 0750 -- "$root$APP_DIR/shared"
  chown -h "$app_uid:$app_gid" -- "$root$APP_DIR/shared"
else
  for dir in "$APP_DIR" "$APP_DIR/releases" "$APP_DIR/shared"; do make_dir "$dir" 0755; done
fi

# --- Files. `install` removes the file it replaces rather than writing through it; each path was
# checked above and is checked again just before.
install_file() {
  refuse_link "$3"
  install -m "$1" -- "$2" "$root$3"
}
install_file 0644 "$KIT/lib/fleet-pilot/common.sh" "$libexec/common.sh"
for helper in fleet-pilot-run fleet-pilot-health; do
  install_file 0755 "$KIT/lib/fleet-pilot/$helper" "$libexec/$helper"
done
for script in fleet-pilot-deploy fleet-pilot-start fleet-pilot-status; do
  install_file 0755 "$KIT/sbin/$script" "$sbin/$script"
done

# Writes standard input to $1 (relative to the root) with mode $2 and group $3, through a temporary
# file renamed over it: a reader sees the old file or the new one, and a link is replaced, not followed.
write_file() {
  local path=$1 tmp=$1.tmp
  refuse_link "$tmp"
  refuse_link "$path"
  rm -f -- "$root$tmp"
  (set -o noclobber && cat >"$root$tmp")
  chmod "$2" -- "$root$tmp"
  if [[ -n ${3:-} ]]; then chgrp -- "$3" "$root$tmp"; fi
  mv -f -T -- "$root$tmp" "$root$path"
}

# Values were checked against patterns without '|', '&' or '\', so sed cannot misread them.
for unit in "$KIT"/units/*; do
  sed -e "s|@SBIN@|$sbin|g" -e "s|@LIBEXEC@|$libexec|g" -e "s|@APP_USER@|$APP_USER|g" \
    -e "s|@DEPLOY_USER@|$DEPLOY_USER|g" -e "s|@APP_DIR@|$APP_DIR|g" -e "s|@PROTECT_HOME@|$protect_home|g" \
    -e "s|@BIND_CAPS@|$bind_caps|g" -e "s|@KIT_HEALTH_PORT@|$KIT_HEALTH_PORT|g" "$unit" |
    write_file "$units/${unit##*/}" 0644
done
refuse_link "$wants/fleet-pilot-role.target" "$units/fleet-pilot-role.target"
ln -sfn -- "$units/fleet-pilot-role.target" "$root$wants/fleet-pilot-role.target"

# kit.env holds the app's commands: root's to write, the kit's group's to read, nobody else's.
kit_group=''
if [[ $owners == yes ]]; then kit_group=$(gid_of "$FLEET_GROUP"); fi
{
  printf '# fleet-pilot server kit settings, written by install.sh. Not read from user data.\n'
  for key in "${FLEET_SETTING_KEYS[@]}"; do printf '%s=%s\n' "$key" "${!key}"; done
} | write_file /etc/fleet-pilot/kit.env 0640 "$kit_group"

if [[ -z $root && -d /run/systemd/system ]]; then systemctl daemon-reload; fi
fleet_log info "installed into ${root:-/} (scripts in $sbin, units in $units); app $APP_DIR as $APP_USER, deploys as $DEPLOY_USER"
