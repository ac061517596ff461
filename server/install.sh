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

App settings (or set them as KEY=value lines in a file given with --settings; flags win):
  --app-user NAME         user the app runs as (APP_USER, default fleetapp; created if missing)
  --app-dir PATH          app directory with releases/ and current (APP_DIR, default /srv/app;
                          under /home the units use ProtectHome=read-only; not under /root, /run/user)
  --release-source SRC    s3://bucket/key.tar.gz, or a git repository URL (RELEASE_SOURCE, required)
  --release-ref REF       git branch, tag or full 40-hex commit id to deploy (RELEASE_REF,
                          default main; unused for S3)
  --app-start CMD         app server command, run in the current release (APP_START)
  --worker-start CMD      background worker command, run in the current release (WORKER_START)
  --build-hook CMD        command run in a new release before it goes live (BUILD_HOOK, optional)
  --app-port PORT         port the app server listens on, given to it as $APP_PORT (APP_PORT,
                          default 80; below 1024 its unit gets CAP_NET_BIND_SERVICE to bind it)
  --health-path PATH      the app's health path, checked by fleet-pilot-status (HEALTH_PATH, default /)
  --kit-health-port PORT  port of the kit's own health endpoint, GET /health, served by
                          fleet-pilot-health.socket on every server (KIT_HEALTH_PORT, default 9180,
                          the port of the job role's default health check; not APP_PORT)
  --keep-releases N       releases kept on disk (KEEP_RELEASES, default 5)
  --fetch-attempts N      fetch attempts before the deploy fails (FETCH_ATTEMPTS, default 5)
  --fetch-backoff SECONDS first retry delay, doubling up to 60 (FETCH_BACKOFF_SECONDS, default 2)
  --settings FILE         read settings from FILE first
At least one of --app-start and --worker-start is required.

Install location:
  --prefix PATH           scripts go to PATH/sbin and PATH/lib/fleet-pilot (default /usr/local)
  --destdir PATH          stage everything under PATH (or set DESTDIR); no user is created and
                          systemd is not reloaded
  -h, --help              this help
USAGE
}

# Every setting's rule; a value that breaks one fails the install naming its flag.
declare -A PATTERNS=(
  [APP_USER]='^[a-z_][a-z0-9_-]{0,31}$'
  [APP_DIR]='^(/[A-Za-z0-9._-]+)+$'
  [APP_PORT]='^[1-9][0-9]{0,4}$'
  [KIT_HEALTH_PORT]='^[1-9][0-9]{0,4}$'
  [RELEASE_SOURCE]='^(s3://[a-z0-9][a-z0-9.-]{1,62}/[^[:space:]]+|(https|ssh|git|file)://[^[:space:]]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^[:space:]]+)$'
  [RELEASE_REF]='^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$'
  [HEALTH_PATH]='^/[A-Za-z0-9._~/?=&%-]*$'
  [KEEP_RELEASES]='^([1-9]|[1-9][0-9])$'
  [FETCH_ATTEMPTS]='^([1-9]|1[0-9]|20)$'
  [FETCH_BACKOFF_SECONDS]='^([0-9]|[1-5][0-9]|60)$'
)
declare -A FLAGS=(
  [--app-user]=APP_USER [--app-dir]=APP_DIR [--app-port]=APP_PORT [--release-source]=RELEASE_SOURCE
  [--release-ref]=RELEASE_REF [--app-start]=APP_START [--worker-start]=WORKER_START
  [--build-hook]=BUILD_HOOK [--health-path]=HEALTH_PATH [--kit-health-port]=KIT_HEALTH_PORT
  [--keep-releases]=KEEP_RELEASES
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

[[ $prefix =~ ${PATTERNS[APP_DIR]} ]] || fleet_die "--prefix: expected an absolute path of letters, digits, '.', '_', '-'"
# shellcheck disable=SC2034 # read back through ${!key} below
APP_USER=fleetapp APP_DIR=/srv/app APP_PORT=80 RELEASE_REF=main HEALTH_PATH=/ KEEP_RELEASES=5
# shellcheck disable=SC2034
FETCH_ATTEMPTS=5 FETCH_BACKOFF_SECONDS=2 KIT_HEALTH_PORT=9180 RELEASE_SOURCE='' APP_START='' WORKER_START='' BUILD_HOOK=''
if [[ -n $settings_file ]]; then
  [[ -f $settings_file ]] || fleet_die "--settings: $settings_file does not exist"
  fleet_read_settings "$settings_file"
fi
for key in "${!given[@]}"; do printf -v "$key" '%s' "${given[$key]}"; done

flag_of() {
  local flag
  for flag in "${!FLAGS[@]}"; do [[ ${FLAGS[$flag]} == "$1" ]] && printf '%s' "$flag"; done
}
for key in "${FLEET_SETTING_KEYS[@]}"; do
  value=${!key}
  [[ $value != *$'\n'* && $value != *$'\r'* ]] || fleet_die "$(flag_of "$key") ($key): must be one line"
  if [[ -n ${PATTERNS[$key]:-} ]] && ! [[ $value =~ ${PATTERNS[$key]} ]]; then
    fleet_die "$(flag_of "$key") ($key): '$value' does not match ${PATTERNS[$key]}"
  fi
done
[[ $APP_USER != root ]] || fleet_die "--app-user (APP_USER): the app must not run as root"
[[ $APP_DIR != *'/..'* && $APP_DIR != *'/./'* && $APP_DIR != */. ]] || fleet_die "--app-dir (APP_DIR): no '.' or '..' components"
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
((APP_PORT <= 65535)) || fleet_die "--app-port (APP_PORT): $APP_PORT is above 65535"
((KIT_HEALTH_PORT <= 65535)) || fleet_die "--kit-health-port (KIT_HEALTH_PORT): $KIT_HEALTH_PORT is above 65535"
# Every server listens on the health port, an app server on APP_PORT as well.
((KIT_HEALTH_PORT != APP_PORT)) || fleet_die "--kit-health-port (KIT_HEALTH_PORT): $KIT_HEALTH_PORT is also --app-port; pick another port"
[[ -n $APP_START || -n $WORKER_START ]] || fleet_die "--app-start or --worker-start is required"

root=${destdir%/}
sbin="$prefix/sbin"
libexec="$prefix/lib/fleet-pilot"
units="/etc/systemd/system"

install -d -m 0755 "$root$sbin" "$root$libexec" "$root$units" "$root$units/multi-user.target.wants" \
  "$root/etc/fleet-pilot" "$root$APP_DIR" "$root$APP_DIR/releases" "$root$APP_DIR/shared"
install -m 0644 "$KIT/lib/fleet-pilot/common.sh" "$root$libexec/common.sh"
for helper in fleet-pilot-run fleet-pilot-health; do
  install -m 0755 "$KIT/lib/fleet-pilot/$helper" "$root$libexec/$helper"
done
for script in fleet-pilot-deploy fleet-pilot-start fleet-pilot-status; do
  install -m 0755 "$KIT/sbin/$script" "$root$sbin/$script"
done

# Values are checked above against patterns without '|', '&' or '\', so sed cannot misread them.
for unit in "$KIT"/units/*; do
  sed -e "s|@SBIN@|$sbin|g" -e "s|@LIBEXEC@|$libexec|g" -e "s|@APP_USER@|$APP_USER|g" \
    -e "s|@APP_DIR@|$APP_DIR|g" -e "s|@PROTECT_HOME@|$protect_home|g" \
    -e "s|@BIND_CAPS@|$bind_caps|g" -e "s|@KIT_HEALTH_PORT@|$KIT_HEALTH_PORT|g" "$unit" >"$root$units/${unit##*/}.tmp"
  chmod 0644 "$root$units/${unit##*/}.tmp"
  mv -f "$root$units/${unit##*/}.tmp" "$root$units/${unit##*/}"
done
ln -sfn "$units/fleet-pilot-role.target" "$root$units/multi-user.target.wants/fleet-pilot-role.target"

{
  printf '# fleet-pilot server kit settings, written by install.sh. Not read from user data.\n'
  for key in "${FLEET_SETTING_KEYS[@]}"; do printf '%s=%s\n' "$key" "${!key}"; done
} >"$root/etc/fleet-pilot/kit.env.tmp"
chmod 0644 "$root/etc/fleet-pilot/kit.env.tmp"
mv -f "$root/etc/fleet-pilot/kit.env.tmp" "$root/etc/fleet-pilot/kit.env"

if [[ -z $root ]]; then
  if ! id -u "$APP_USER" >/dev/null 2>&1; then
    useradd --system --home-dir "$APP_DIR" --no-create-home --shell /usr/sbin/nologin "$APP_USER"
    fleet_log info "created user $APP_USER"
  fi
  chown "$APP_USER:" "$APP_DIR" "$APP_DIR/releases" "$APP_DIR/shared"
  if [[ -d /run/systemd/system ]]; then systemctl daemon-reload; fi
fi
fleet_log info "installed into ${root:-/} (scripts in $sbin, units in $units); app $APP_DIR as $APP_USER"
