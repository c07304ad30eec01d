# Sourced by ./parallel4j and ./build: finds a JDK 21 or newer and exports JAVA_HOME.
# Order: $JAVA_HOME when it is 21+, else the newest JDK under /usr/lib/jvm, else `java` on
# the PATH when it is 21+. Prints what to install when none is found.

p4j_java_major() { # JAVA_BIN -> major version on stdout, or nothing
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

p4j_find_jdk() {
  local major candidate best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(p4j_java_major "$JAVA_HOME/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      echo "$JAVA_HOME"; return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*/; do
    candidate=${candidate%/}
    [ -x "$candidate/bin/javac" ] || continue
    major=$(p4j_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate; best_major=$major
    fi
  done
  if [ -n "$best" ]; then echo "$best"; return 0; fi
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(p4j_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then echo "$candidate"; return 0; fi
  fi
  return 1
}

if ! P4J_JDK=$(p4j_find_jdk); then
  echo "parallel4j needs a JDK 21 or newer and found none (JAVA_HOME=${JAVA_HOME:-unset}, /usr/lib/jvm)." >&2
  echo "Install one, e.g. 'apt-get install openjdk-21-jdk' or Temurin 21+, or point JAVA_HOME at it." >&2
  exit 1
fi
export JAVA_HOME=$P4J_JDK
export PATH="$JAVA_HOME/bin:$PATH"
# Maven 3.8's bundled Guava warns about sun.misc.Unsafe on JDK 24+; the flag quiets it there.
if [ "$(p4j_java_major "$JAVA_HOME/bin/java")" -ge 24 ]; then
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi
