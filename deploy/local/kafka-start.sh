#!/usr/bin/env bash
# Start a single-node KRaft Apache Kafka broker on 127.0.0.1 (idempotent).
# Jars come from Maven Central (cached); runs with the local Java 17+.
# Prints KAFKA_BROKERS=... on stdout; progress goes to stderr.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="${MANDATE_LOCAL_DIR:-$REPO/.local}"
PORT="${KAFKA_PORT:-59092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-59093}"
# 4.3.1 is the newest 4.x whose full dependency set is on Maven Central
# (kafka_2.13 4.4.0 is published but kafka-tools-api 4.4.0 is not).
KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
LOG4J_VERSION="${LOG4J_VERSION:-2.25.4}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"

KDIR="$LOCAL_DIR/kafka"
LIBS="$KDIR/libs"
DATA="$KDIR/data"
LOGS="$KDIR/logs"
PIDFILE="$KDIR/kafka.pid"
BROKERS="127.0.0.1:$PORT"

log() { echo "kafka-start: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True if a Kafka broker answers on the port: sends an ApiVersions v0 request
# (correlation id 42) and checks the reply's correlation id and error code 0.
kafka_answers() {
  local reply
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf '\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x2a\x00\x00' >&3
    timeout 3 head -c 10 <&3 | od -An -tx1 | tr -d ' \n') 2>/dev/null || true)"
  [[ "$reply" == ????????0000002a0000 ]]
}

our_pid() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

READYFILE="$KDIR/kafka.ready"
# Ready = this pid once logged "Kafka Server started" (remembered in READYFILE,
# since server.log may roll over while the broker runs).
started() {
  local pid="$1"
  [[ "$(cat "$READYFILE" 2>/dev/null || true)" == "$pid" ]] && return 0
  grep -q 'Kafka Server started' "$LOGS/server.log" 2>/dev/null || return 1
  echo "$pid" >"$READYFILE"
}

# Fast path: our broker is alive, listening and past startup.
if pid="$(our_pid)" && port_open "$PORT" && started "$pid"; then
  echo "KAFKA_BROKERS=$BROKERS"
  exit 0
fi
# A broker started from another checkout (same ports) is reused, not fought over.
if ! our_pid >/dev/null && port_open "$PORT" && kafka_answers "$PORT"; then
  log "reusing the Kafka broker already listening on $BROKERS (not started from $KDIR)"
  echo "KAFKA_BROKERS=$BROKERS"
  exit 0
fi

mkdir -p "$KDIR" "$LOGS"
exec 9>"$KDIR/.start.lock"
flock 9

SUDO=()
[[ $EUID -eq 0 ]] || SUDO=(sudo)
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "$* missing and apt-get unavailable"
  log "installing $* from Debian packages"
  if [[ -z "${apt_updated:-}" ]]; then
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
command -v "$JAVA" >/dev/null 2>&1 || { apt_install openjdk-17-jre-headless; JAVA=java; }
java_major="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
[[ "${java_major%%.*}" -ge 17 ]] 2>/dev/null || die "Kafka $KAFKA_VERSION needs Java 17+, found ${java_major:-unknown} ($JAVA)"

# --- jars -------------------------------------------------------------------
stamp="kafka_2.13 $KAFKA_VERSION log4j $LOG4J_VERSION"
if [[ "$(cat "$LIBS/.complete" 2>/dev/null || true)" != "$stamp" ]]; then
  command -v mvn >/dev/null 2>&1 || apt_install maven
  log "fetching Kafka $KAFKA_VERSION and dependencies from Maven Central"
  fetch="$KDIR/fetch"
  rm -rf "$fetch" "$LIBS.tmp"
  mkdir -p "$fetch"
  cat >"$fetch/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- CLI classes: TopicCommand, ConsoleProducer, ConsoleConsumer, ... -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- Kafka logs through slf4j 1.x; route it to log4j2. -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
      </plugin>
    </plugins>
  </build>
</project>
EOF
  mvn -B -f "$fetch/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIBS.tmp" >"$fetch/mvn.log" 2>&1 \
    || { grep -E 'ERROR|BUILD' "$fetch/mvn.log" >&2 || tail -n 30 "$fetch/mvn.log" >&2; die "could not fetch Kafka $KAFKA_VERSION from Maven Central (log: $fetch/mvn.log)"; }
  echo "$stamp" >"$LIBS.tmp/.complete"
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
  rm -rf "$fetch"
fi

# --- config (rewritten on every start so port overrides apply) ---------------
cat >"$KDIR/log4j2.properties" <<EOF
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $LOGS/server.log
appender.file.filePattern = $LOGS/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF

# For the CLI classes (see README): warnings only, to stderr.
cat >"$KDIR/tools-log4j2.properties" <<EOF
status = warn
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = err
EOF

cat >"$KDIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF

# --- start ---------------------------------------------------------------------
if pid="$(our_pid)"; then
  log "broker already running (pid $pid), waiting for it to be ready"
else
  rm -f "$PIDFILE" "$READYFILE"
  port_open "$PORT" && die "port $PORT is in use by another process"
  port_open "$CONTROLLER_PORT" && die "port $CONTROLLER_PORT is in use by another process"

  if [[ ! -f "$DATA/meta.properties" ]]; then
    # Kafka cluster ids are 16 random bytes, base64url without padding.
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    log "formatting storage in $DATA (cluster id $cluster_id)"
    "$JAVA" -Dlog4j2.configurationFile="$KDIR/tools-log4j2.properties" -cp "$LIBS/*" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$KDIR/server.properties" >"$LOGS/format.log" 2>&1 \
      || { cat "$LOGS/format.log" >&2; die "storage format failed"; }
  fi

  [[ -f "$LOGS/server.log" ]] && mv -f "$LOGS/server.log" "$LOGS/server.log.prev"
  log "starting broker on $BROKERS (controller 127.0.0.1:$CONTROLLER_PORT)"
  # setsid: own session, so the broker outlives the caller's process group;
  # the pid is written from inside so it is the JVM's own pid.
  # shellcheck disable=SC2016,SC2086
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    "$JAVA" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KDIR/log4j2.properties" -Dkafka.logs.dir="$LOGS" \
    -cp "$LIBS/*" kafka.Kafka "$KDIR/server.properties" \
    >"$LOGS/kafka.out" 2>&1 </dev/null 9>&- &
  pid=""
  for _ in $(seq 50); do pid="$(our_pid)" && break; sleep 0.1; done
fi

deadline=$((SECONDS + START_TIMEOUT))
until port_open "$PORT" && started "$pid"; do
  if ! our_pid >/dev/null; then
    tail -n 40 "$LOGS/kafka.out" "$LOGS/server.log" >&2 2>/dev/null || true
    die "broker exited during startup (logs in $LOGS)"
  fi
  if ((SECONDS >= deadline)); then
    tail -n 40 "$LOGS/server.log" >&2 2>/dev/null || true
    die "broker not ready after ${START_TIMEOUT}s (logs in $LOGS)"
  fi
  sleep 0.5
done

echo "KAFKA_BROKERS=$BROKERS"
