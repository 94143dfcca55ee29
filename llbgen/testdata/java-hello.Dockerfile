# syntax=docker/dockerfile:1
# java-hello, ejected from Dockerfile by safe-frontend: the image the frontend builds from
# the spec, written out. Build it as the frontend would:
#   docker buildx build --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
#     --secret id=ca,src=/path/to/extra-ca.pem .   # the CA secret only where downloads need it

# The runtime image, pinned by digest.
FROM docker.io/org/safe-frontend-runtime:1@sha256:3333333333333333333333333333333333333333333333333333333333333333 AS safe-runtime

# The steps' generated scripts, mounted where they run: a failing step reports
# a short command, not the script's text.
FROM scratch AS scripts
COPY --chmod=0444 <<'EOF' /java/step.sh
set -eu
# java_truststore PEM STORE: Java reads no PEM bundles, so a build step given
# the optional `ca` secret (PEM, any number of certificates) turns it into a
# PKCS12 truststore at STORE and points Maven at it through MAVEN_OPTS
# (javax.net.ssl.trustStore*). Without the secret it does nothing and the
# JDK's own cacerts applies.
#
# The store holds the JDK's cacerts plus every certificate of PEM not
# already there, so public repositories stay trusted when the secret holds
# only a proxy CA. keytool imports one certificate per run (a JVM start
# each: the host's 144-certificate bundle took 89 s), so a few lines of Java
# run by the JDK's source launcher do the same in one JVM. Put STORE on a
# tmpfs mount so it lands in no layer; the password is public by design (a
# truststore holds public certificates only).
#
# POSIX sh (dash); needs the JDK (java with jdk.compiler) on PATH.
java_truststore() {
	[ -s "$1" ] || return 0
	mkdir -p "$(dirname "$2")" || return 1
	cat >"$2.java" <<'JAVA'
import java.io.*;
import java.nio.file.*;
import java.security.KeyStore;
import java.security.cert.*;
import java.util.*;

class PemTrustStore {
    public static void main(String[] args) throws Exception {
        char[] password = "changeit".toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, password);
        Set<Certificate> seen = new HashSet<>();
        Path cacerts = Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
        if (Files.exists(cacerts)) {
            KeyStore jdk = KeyStore.getInstance(KeyStore.getDefaultType());
            try (InputStream in = Files.newInputStream(cacerts)) {
                jdk.load(in, password);
            }
            for (String alias : Collections.list(jdk.aliases())) {
                Certificate c = jdk.getCertificate(alias);
                if (c != null && seen.add(c)) store.setCertificateEntry(alias, c);
            }
        }
        int added = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(Path.of(args[0])))) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                if (seen.add(c)) store.setCertificateEntry("build-ca-" + (++added), c);
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException(args[0] + ": not a PEM certificate bundle: " + e.getMessage(), e);
        }
        if (seen.isEmpty()) throw new IllegalArgumentException(args[0] + ": no certificate");
        try (OutputStream out = Files.newOutputStream(Path.of(args[1]))) {
            store.store(out, password);
        }
    }
}
JAVA
	java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto "$2.java" "$1" "$2" || {
		rm -f "$2.java"
		echo "java_truststore: could not make a truststore of $1" >&2
		return 1
	}
	rm -f "$2.java"
	MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }-Djavax.net.ssl.trustStore=$2 -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit"
	export MAVEN_OPTS
}
java_truststore '/run/secrets/ca.pem' /tmp/truststore/truststore.p12
touch /tmp/maven-start
mvn -B -ntp -Dstyle.color=never -Dmaven.repo.local=/root/.m2/repository org.apache.maven.plugins:maven-dependency-plugin:3.8.1:go-offline -DexcludeReactor=true
if ! mvn -q -B -ntp -Dstyle.color=never -Dmaven.repo.local=/root/.m2/repository -Dspring-boot.repackage.skip=true -DskipTests package org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -DincludeScope=runtime -Dmdep.prependGroupId=true -Dmdep.outputFile=target/safe-frontend.classpath -Dmdep.prefix=/app/lib; then
  echo "note: the package goals did not run on the poms alone (output above); what they resolve is left to the package step" >&2
fi
rm -rf target
EOF
COPY --chmod=0444 <<'EOF' /java/step-2.sh
export MAVEN_OPTS='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC'
set -eu
if [ -s '/run/secrets/ca.pem' ]; then
  mkdir -p /tmp/truststore
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp /run/safe-frontend-java PemTrustStore '/run/secrets/ca.pem' /tmp/truststore/truststore.p12
  MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }-Djavax.net.ssl.trustStore=/tmp/truststore/truststore.p12 -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit"
  export MAVEN_OPTS
fi
touch /tmp/maven-start
mvn -B -ntp -Dstyle.color=never -Dmaven.repo.local=/root/.m2/repository -Dproject.build.outputTimestamp=1700000000 -Dspring-boot.repackage.skip=true -DskipTests package org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -DincludeScope=runtime -Dmdep.prependGroupId=true -Dmdep.outputFile=target/safe-frontend.classpath -Dmdep.prefix=/app/lib
misses=$(cd /root/.m2/repository && find . -type f \( -name '*.jar' -o -name '*.pom' \) -cnewer /tmp/maven-start | sort)
if [ -n "$misses" ]; then
  echo "note: mvn package downloaded $(printf '%s\n' "$misses" | wc -l) files that dependency:go-offline did not resolve (not in the dependency layer):" >&2
  printf '%s\n' "$misses" | head -n 20 | sed 's|^\./|  |' >&2
fi
mod='/src'
rm -rf /out && mkdir -p /out/lib /out/app/modules
jar="$mod/target/"'java-hello'.jar
if [ -f "$jar.original" ]; then jar="$jar.original"; fi
if [ "$(printf '%s\n' "$jar" | grep -c .)" -ne 1 ] || [ ! -f "$jar" ]; then
  echo "error: pom.xml: expected one jar in $mod/target, found: ${jar:-none}" >&2
  exit 1
fi
cp "$jar" /out/app/java-hello.jar
if [ -d "$mod/target/dependency" ]; then cp "$mod"/target/dependency/*.jar /out/lib/ 2>/dev/null || true; fi
cp="/app/java-hello.jar"
deps=$(cat "$mod/target/safe-frontend.classpath" 2>/dev/null || true)
for f in $(printf '%s' "$deps" | tr ':' ' '); do
  n=$(basename "$f")
  if [ -f /out/app/modules/"$n" ]; then cp="$cp:/app/modules/$n"; else cp="$cp:$f"; fi
done
printf -- '--class-path\n"%s"\n' "$cp" > /out/app/classpath.argfile
rmdir /out/app/modules 2>/dev/null || true
# the app's jars reproducible (rewritten unless Maven made them so), the main class in one of them
cls=$(printf '%s' 'com.example.hello.Main' | tr . /).class
rc=0
java -Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp /run/safe-frontend-java ReproducibleJar 1700000000 "$cls" /out/app/*.jar $(ls /out/app/modules/*.jar 2>/dev/null) || rc=$?
if [ "$rc" -eq 3 ]; then
  echo "error: the main class com.example.hello.Main is in no jar of java-hello; check java.main or the pom's mainClass" >&2
  exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"

jars=$(ls /out/app/*.jar /out/app/modules/*.jar 2>/dev/null | LC_ALL=C sort)
cp=$(ls /out/lib/*.jar 2>/dev/null | LC_ALL=C sort | paste -sd: -)
jdeps -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC --ignore-missing-deps -q --multi-release 21 -s ${cp:+--class-path "$cp"} $jars > /tmp/app.summary
java_home=$(dirname "$(dirname "$(readlink -f "$(command -v jdeps)")")")
if [ -d "$java_home/jmods" ]; then
  ls "$java_home/jmods" | sed -n 's/\.jmod$//p'
else
  java --list-modules | sed 's/@.*//'
fi > /tmp/jdk.modules
awk 'FILENAME == ARGV[1] { jdk[$1] = 1; next } $2 == "->" && ($3 in jdk) { print $3 }' /tmp/jdk.modules /tmp/app.summary |
  LC_ALL=C sort -u > /out/app.modules
echo "jdeps (the app's jars): $(paste -sd, /out/app.modules)"

EOF
COPY --chmod=0444 <<'EOF' /java-jdeps/step.sh
set -eu
mkdir -p /out
: > /out/deps.modules
jars=$(ls /run/lib/*.jar 2>/dev/null | LC_ALL=C sort || true)
[ -n "$jars" ] || exit 0
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp /run/safe-frontend-java ClassPathJars /tmp/cp $jars > /tmp/static.requires
if ! jdeps --ignore-missing-deps -q --multi-release 21 -s $(ls /tmp/cp/*.jar | LC_ALL=C sort) > /tmp/jdeps.summary 2> /tmp/jdeps.err; then
  why=$(cat /tmp/jdeps.err /tmp/jdeps.summary | grep -m1 -e '^Error:' -e 'Exception' | sed -e 's/^Error: *//' -e 's/^.*Exception: *//' || true)
  echo "error: jdeps could not list the JDK modules the dependencies use: ${why:-$(cat /tmp/jdeps.err /tmp/jdeps.summary | head -n1)}; no jlink runtime can be made for this app: set java.runtime: jre (the full JRE), or check java.modules" >&2
  exit 1
fi
java --list-modules | sed 's/@.*//' > /tmp/jdk.modules
awk 'FILENAME == ARGV[1] { jdk[$1] = 1; next }
  FILENAME == ARGV[2] { optional[$1 " " $2] = 1; next }
  $2 == "->" && ($3 in jdk) && !(($1 " " $3) in optional) { print $3 }' \
  /tmp/jdk.modules /tmp/static.requires /tmp/jdeps.summary | LC_ALL=C sort -u > /out/deps.modules
echo "jdeps (dependencies): $(paste -sd, /out/deps.modules)"
if [ -s /tmp/static.requires ]; then
  echo "optional at run time (requires static): $(awk '{ print $1 " -> " $2 }' /tmp/static.requires | paste -sd, -)"
fi
EOF
COPY --chmod=0444 <<'EOF' /java-jre/step.sh
set -eu
mods=$(cat /run/jdeps/app.modules /run/jdeps/deps.modules | LC_ALL=C sort -u | paste -sd, -)
case "$mods" in
  *[!a-z0-9.,]*|"") echo "error: jdeps found no module list: $mods" >&2; exit 1 ;;
esac
echo "jdeps: $mods"
mods="$mods"''
# TLS with elliptic-curve certificates needs the EC provider, which is
# loaded as a service, not referenced.
if java --list-modules | grep -q '^jdk.crypto.ec@'; then mods="$mods,jdk.crypto.ec"; fi
# --strip-debug also strips the native libraries with objcopy where the
# JDK's jlink does that (Debian's); a JDK without binutils beside it ships
# them stripped already, and only the class files' debug attributes go.
strip=--strip-debug
if ! command -v objcopy >/dev/null 2>&1; then strip=--strip-java-debug-attributes; fi
rm -rf /out/jre && mkdir -p /out
if ! jlink --add-modules "$mods" "$strip" --no-man-pages --no-header-files --output /out/jre > /tmp/jlink.err 2>&1; then
  why=$(cat /tmp/jlink.err | grep -m1 -e '^Error:' -e 'Exception' | sed -e 's/^Error: *//' -e 's/^.*Exception: *//' || true)
  echo "error: jlink could not link the runtime: ${why:-$(cat /tmp/jlink.err | head -n1)}; no jlink runtime can be made for this app: set java.runtime: jre (the full JRE), or check java.modules" >&2
  exit 1
fi
java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
rm -f /out/jre/lib/security/cacerts
cp -L "$java_home/lib/security/cacerts" /out/jre/lib/security/cacerts
chmod 0644 /out/jre/lib/security/cacerts
if ! /out/jre/bin/keytool -list -cacerts -storepass changeit 2>/dev/null | grep -q 'contains [1-9]'; then
  echo "error: the builder's CA store ($java_home/lib/security/cacerts) holds no certificate" >&2
  exit 1
fi
EOF

FROM scratch AS java-tools-src
# [java 4/6] jar rewriter (one entry time)
# the sources of the frontend's own Java tools: the jar rewriter with its main class finder, the truststore maker, the class path reader for jdeps
COPY --chmod=0644 <<'EOF' /ReproducibleJar.java
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.zip.*;

public class ReproducibleJar {
    // args: epoch seconds, the main class's entry name, the jars (the
    // module's own first). A main entry "@FILE" asks for the main class as
    // Spring Boot finds it: the one class of the module's jar with a
    // public static void main(String[]), else the one of those annotated
    // @SpringBootApplication; its name goes to FILE (exit 4 if none or
    // several, naming the candidates).
    public static void main(String[] args) throws Exception {
        long time = Long.parseLong(args[0]) * 1000L;
        String mainEntry = args[1];
        if (mainEntry.startsWith("@")) {
            String main = MainClass.find(Path.of(args[2]));
            if (main == null) System.exit(4);
            Files.writeString(Path.of(mainEntry.substring(1)), main + "\n");
            mainEntry = main.replace('.', '/') + ".class";
        }
        boolean found = false;
        int rewritten = 0, kept = 0;
        for (int i = 2; i < args.length; i++) {
            Path jar = Path.of(args[i]);
            List<String> names = new ArrayList<>();
            if (canonical(jar, time, names)) {
                kept++;
            } else {
                rewrite(jar, time);
                rewritten++;
            }
            if (names.contains(mainEntry)) found = true;
        }
        System.out.println("reproducible jars: " + rewritten + " rewritten, " + kept + " already at the build's time");
        if (!found) System.exit(3);
    }

    static int rank(String name) {
        if (name.equals("META-INF/")) return 0;
        if (name.equals("META-INF/MANIFEST.MF")) return 1;
        return 2;
    }

    static final Comparator<String> ORDER = Comparator.comparingInt(ReproducibleJar::rank).thenComparing(Comparator.naturalOrder());

    static boolean pomProperties(String name) {
        return name.startsWith("META-INF/maven/") && name.endsWith("/pom.properties");
    }

    // canonical lists the jar's entry names and tells whether the archiver
    // made it reproducible already: every entry at the build's time (an
    // archiver that honours outputTimestamp also writes its entries in an
    // order of its own that does not follow the file system's) and no
    // comment in pom.properties.
    static boolean canonical(Path jar, long time, List<String> names) throws IOException {
        boolean ok = true;
        try (ZipFile in = new ZipFile(jar.toFile())) {
            for (ZipEntry e : Collections.list(in.entries())) {
                String name = e.getName();
                names.add(name);
                if (!ok) continue;
                if (e.getTime() != time) {
                    ok = false;
                    System.out.println(jar.getFileName() + ": " + name + " at " + e.getTime() / 1000 + ", not " + time / 1000);
                } else if (pomProperties(name)) {
                    try (InputStream s = in.getInputStream(e)) {
                        String text = new String(s.readAllBytes(), StandardCharsets.ISO_8859_1);
                        if (text.startsWith("#") || text.contains("\n#")) {
                            ok = false;
                            System.out.println(jar.getFileName() + ": " + name + " has a comment");
                        }
                    }
                }
            }
        }
        return ok;
    }

    static void rewrite(Path jar, long time) throws IOException {
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        try (ZipFile in = new ZipFile(jar.toFile());
             ZipOutputStream out = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            List<ZipEntry> entries = new ArrayList<>(Collections.list(in.entries()));
            entries.sort(Comparator.comparing(ZipEntry::getName, ORDER));
            for (ZipEntry e : entries) {
                byte[] data = in.getInputStream(e).readAllBytes();
                if (pomProperties(e.getName())) {
                    StringBuilder b = new StringBuilder();
                    for (String line : new String(data, StandardCharsets.ISO_8859_1).split("\\r?\\n")) {
                        if (!line.startsWith("#")) b.append(line).append('\n');
                    }
                    data = b.toString().getBytes(StandardCharsets.ISO_8859_1);
                }
                ZipEntry o = new ZipEntry(e.getName());
                o.setTime(time);
                out.putNextEntry(o);
                out.write(data);
                out.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
    }
}
EOF
COPY --chmod=0644 <<'EOF' /MainClass.java
import java.io.*;
import java.nio.file.Path;
import java.util.*;
import java.util.zip.*;

// MainClass finds the class a Spring Boot jar starts as Boot's build
// plugins do, from the class files alone (nothing is loaded or run).
class MainClass {
    static final String BOOT = "Lorg/springframework/boot/autoconfigure/SpringBootApplication;";

    // A class with a main method: its name, its source file, whether it
    // is annotated @SpringBootApplication.
    record Candidate(String name, String source, boolean boot) {
        public String toString() {
            return name + " (" + (source == null ? "no source file recorded" : source) + (boot ? ", @SpringBootApplication" : "") + ")";
        }
    }

    static String find(Path jar) throws IOException {
        List<Candidate> mains = new ArrayList<>();
        try (ZipFile in = new ZipFile(jar.toFile())) {
            for (ZipEntry e : Collections.list(in.entries())) {
                String n = e.getName();
                if (!n.endsWith(".class") || n.startsWith("META-INF/") || n.endsWith("module-info.class")) continue;
                try (InputStream s = in.getInputStream(e)) {
                    Candidate c = read(new DataInputStream(new BufferedInputStream(s)));
                    if (c != null) mains.add(c);
                } catch (IOException | RuntimeException ex) {
                    // not a class file we can read: not a main class
                }
            }
        }
        mains.sort(Comparator.comparing(Candidate::name));
        List<Candidate> boot = mains.stream().filter(Candidate::boot).toList();
        if (mains.size() == 1) return mains.get(0).name();
        if (boot.size() == 1) return boot.get(0).name();
        if (mains.isEmpty()) {
            System.err.println("error: " + jar.getFileName() + " has no class with public static void main(String[]); set java.main");
        } else {
            System.err.println("error: " + jar.getFileName() + " has " + mains.size() + " classes with a main method and "
                + (boot.isEmpty() ? "none" : boot.size()) + " annotated @SpringBootApplication; set java.main to one of:");
            for (Candidate c : mains) System.err.println("  " + c);
        }
        return null;
    }

    // read parses one class file; null unless it has public static void
    // main(String[]).
    static Candidate read(DataInputStream in) throws IOException {
        if (in.readInt() != 0xCAFEBABE) return null;
        in.readUnsignedShort();
        in.readUnsignedShort();
        int n = in.readUnsignedShort();
        Object[] pool = new Object[n];
        for (int i = 1; i < n; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> pool[i] = in.readUTF();
                case 7, 8, 16, 19, 20 -> pool[i] = in.readUnsignedShort();
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                case 5, 6 -> { in.readLong(); i++; }
                case 15 -> { in.readUnsignedByte(); in.readUnsignedShort(); }
                default -> throw new IOException("constant pool tag " + tag);
            }
        }
        in.readUnsignedShort();
        String name = utf(pool, (Integer) pool[in.readUnsignedShort()]);
        in.readUnsignedShort();
        in.skipNBytes(2L * in.readUnsignedShort());
        skipMembers(in, pool, false);
        if (!skipMembers(in, pool, true)) return null;
        String source = null;
        boolean boot = false;
        for (int a = in.readUnsignedShort(); a > 0; a--) {
            String attr = utf(pool, in.readUnsignedShort());
            int len = in.readInt();
            if (attr.equals("SourceFile")) {
                source = utf(pool, in.readUnsignedShort());
            } else if (attr.equals("RuntimeVisibleAnnotations")) {
                for (int k = in.readUnsignedShort(); k > 0; k--) boot |= annotation(in, pool);
            } else {
                in.skipNBytes(len);
            }
        }
        String pkg = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
        return new Candidate(name.replace('/', '.'), source == null ? null : pkg + source, boot);
    }

    // skipMembers reads the fields or methods; for methods, it tells
    // whether one is public static void main(String[]).
    static boolean skipMembers(DataInputStream in, Object[] pool, boolean methods) throws IOException {
        boolean main = false;
        for (int m = in.readUnsignedShort(); m > 0; m--) {
            int flags = in.readUnsignedShort();
            String name = utf(pool, in.readUnsignedShort());
            String desc = utf(pool, in.readUnsignedShort());
            main |= methods && (flags & 0x0009) == 0x0009 && name.equals("main") && desc.equals("([Ljava/lang/String;)V");
            for (int a = in.readUnsignedShort(); a > 0; a--) {
                in.readUnsignedShort();
                in.skipNBytes(in.readInt());
            }
        }
        return main;
    }

    // annotation reads one annotation; true if it is @SpringBootApplication.
    static boolean annotation(DataInputStream in, Object[] pool) throws IOException {
        String type = utf(pool, in.readUnsignedShort());
        for (int p = in.readUnsignedShort(); p > 0; p--) {
            in.readUnsignedShort();
            elementValue(in, pool);
        }
        return type.equals(BOOT);
    }

    static void elementValue(DataInputStream in, Object[] pool) throws IOException {
        int tag = in.readUnsignedByte();
        switch (tag) {
            case 'e' -> in.readInt();
            case '@' -> annotation(in, pool);
            case '[' -> { for (int k = in.readUnsignedShort(); k > 0; k--) elementValue(in, pool); }
            default -> in.readUnsignedShort();
        }
    }

    static String utf(Object[] pool, int i) throws IOException {
        if (i <= 0 || i >= pool.length || !(pool[i] instanceof String s)) throw new IOException("bad constant pool index " + i);
        return s;
    }
}
EOF
COPY --chmod=0644 <<'EOF' /PemTrustStore.java
import java.io.*;
import java.nio.file.*;
import java.security.KeyStore;
import java.security.cert.*;
import java.util.*;

class PemTrustStore {
    public static void main(String[] args) throws Exception {
        char[] password = "changeit".toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, password);
        Set<Certificate> seen = new HashSet<>();
        Path cacerts = Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
        if (Files.exists(cacerts)) {
            KeyStore jdk = KeyStore.getInstance(KeyStore.getDefaultType());
            try (InputStream in = Files.newInputStream(cacerts)) {
                jdk.load(in, password);
            }
            for (String alias : Collections.list(jdk.aliases())) {
                Certificate c = jdk.getCertificate(alias);
                if (c != null && seen.add(c)) store.setCertificateEntry(alias, c);
            }
        }
        int added = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(Path.of(args[0])))) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                if (seen.add(c)) store.setCertificateEntry("build-ca-" + (++added), c);
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException(args[0] + ": not a PEM certificate bundle: " + e.getMessage(), e);
        }
        if (seen.isEmpty()) throw new IllegalArgumentException(args[0] + ": no certificate");
        try (OutputStream out = Files.newOutputStream(Path.of(args[1]))) {
            store.store(out, password);
        }
    }
}
EOF
COPY --chmod=0644 <<'EOF' /ClassPathJars.java
import java.io.*;
import java.lang.module.ModuleDescriptor;
import java.nio.file.*;
import java.util.*;
import java.util.zip.*;

// ClassPathJars readies the dependency jars for jdeps as the JVM runs them:
// on the class path. jdeps resolves a modular jar it is given as a named
// module, and fails when the module requires one that is not there
// (jakarta.transaction-api requires jakarta.cdi, which Hibernate leaves
// out on purpose); so each modular jar is copied without its module
// descriptors, the others are linked. It prints "<jar> <module>" for each
// requires static, a module the jar runs without (the jar's file name is
// how jdeps -s names it).
// args: the directory for the jars, the jars.
public class ClassPathJars {
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        for (int i = 1; i < args.length; i++) {
            Path jar = Path.of(args[i]);
            Path dest = out.resolve(jar.getFileName());
            try (ZipFile in = new ZipFile(jar.toFile())) {
                List<? extends ZipEntry> descriptors = Collections.list(in.entries()).stream().filter(e -> isDescriptor(e.getName())).toList();
                if (descriptors.isEmpty()) {
                    Files.createSymbolicLink(dest, jar.toAbsolutePath());
                    continue;
                }
                for (ZipEntry e : descriptors) {
                    try (InputStream s = in.getInputStream(e)) {
                        ModuleDescriptor d = ModuleDescriptor.read(s);
                        for (ModuleDescriptor.Requires r : d.requires())
                            if (r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC))
                                System.out.println(jar.getFileName() + " " + r.name());
                    } catch (RuntimeException ex) {
                        // a descriptor the JDK cannot read declares nothing we use
                    }
                }
                copyWithout(in, dest);
            } catch (IOException ex) {
                System.err.println("error: jlink: the dependency " + jar.getFileName() + " is not a readable jar (" + ex.getMessage() + "), so the JDK modules it uses cannot be listed; fix the dependency, or set java.runtime: jre");
                System.exit(2);
            }
        }
    }

    static boolean isDescriptor(String name) {
        return name.equals("module-info.class") || name.startsWith("META-INF/versions/") && name.endsWith("/module-info.class");
    }

    static void copyWithout(ZipFile in, Path dest) throws IOException {
        try (ZipOutputStream out = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(dest)))) {
            for (ZipEntry e : Collections.list(in.entries())) {
                if (isDescriptor(e.getName()) || e.isDirectory()) continue;
                out.putNextEntry(new ZipEntry(e.getName()));
                try (InputStream s = in.getInputStream(e)) {
                    s.transferTo(out);
                }
                out.closeEntry();
            }
        }
    }
}
EOF

FROM docker.io/library/maven:3-eclipse-temurin-21@sha256:1111111111111111111111111111111111111111111111111111111111111111 AS java-tools
# The extra CA bundle for downloads, when the build passes one (--secret id=ca).
ENV SSL_CERT_FILE=/run/secrets/ca.pem
# [java 4/6] javac ReproducibleJar.java MainClass.java PemTrustStore.java ClassPathJars.java
# compiled once and cached: the package step starts one short JVM for them, not the source launcher's compiler
RUN --mount=type=bind,from=java-tools-src,source=/,target=/run/tools-src \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    ["javac", "-d", "/run/tools", "/run/tools-src/ReproducibleJar.java", "/run/tools-src/MainClass.java", "/run/tools-src/PemTrustStore.java", "/run/tools-src/ClassPathJars.java"]

FROM docker.io/library/maven:3-eclipse-temurin-21@sha256:1111111111111111111111111111111111111111111111111111111111111111 AS java
# The extra CA bundle for downloads, when the build passes one (--secret id=ca).
ENV SSL_CERT_FILE=/run/secrets/ca.pem
# [java 1/6] copy pom.xml
# the poms alone first: a source edit leaves the dependency resolution below cached
COPY pom.xml /src/pom.xml
# [java 2/6] mvn dependency:go-offline
# the dependencies and plugins into the local repository, a layer that a registry cache carries to a fresh runner
WORKDIR /src
RUN --mount=type=tmpfs,target=/tmp \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/java/step.sh,target=/run/safe-frontend/step.sh \
    ["/bin/sh", "/run/safe-frontend/step.sh"]
# [java 3/6] copy sources
# the sources after the resolution: an edit leaves the dependencies cached
COPY --exclude=target . /src/
# [java 4/6] mvn -B package -DskipTests
# the jars, then what runs staged in /out: the app's jars made reproducible, the runtime dependencies, the class path
RUN --mount=type=bind,from=java-tools,source=/run/tools,target=/run/safe-frontend-java \
    --mount=type=tmpfs,target=/tmp \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/java/step-2.sh,target=/run/safe-frontend/step.sh \
    ["/bin/sh", "/run/safe-frontend/step.sh"]

FROM scratch AS java-dep-jars
# [java 5/6] dependency jars
# the dependencies' jars alone, keyed by their content: a source edit leaves their module scan cached
COPY --from=java /out/lib /

FROM docker.io/library/maven:3-eclipse-temurin-21@sha256:1111111111111111111111111111111111111111111111111111111111111111 AS java-jdeps
# The extra CA bundle for downloads, when the build passes one (--secret id=ca).
ENV SSL_CERT_FILE=/run/secrets/ca.pem
# [java 5/6] jdeps: the dependencies' JDK modules
# the JDK modules the dependencies use, without those only a requires static wants
RUN --mount=type=bind,from=java-dep-jars,source=/,target=/run/lib \
    --mount=type=bind,from=java-tools,source=/run/tools,target=/run/safe-frontend-java \
    --mount=type=tmpfs,target=/tmp \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/java-jdeps/step.sh,target=/run/safe-frontend/step.sh \
    ["/bin/sh", "/run/safe-frontend/step.sh"]

FROM scratch AS java-module-list
# [java 6/6] module list
# the two module lists alone: an edit that uses no new module leaves jlink cached
COPY --from=java /out/app.modules /app.modules
COPY --from=java-jdeps /out/deps.modules /deps.modules

FROM docker.io/library/maven:3-eclipse-temurin-21@sha256:1111111111111111111111111111111111111111111111111111111111111111 AS java-jre
# The extra CA bundle for downloads, when the build passes one (--secret id=ca).
ENV SSL_CERT_FILE=/run/secrets/ca.pem
# [java 6/6] jlink --strip-debug --no-man-pages --no-header-files
# a runtime of only the modules the app uses, with the JDK's CA store as a file of its own
RUN --mount=type=bind,from=java-module-list,source=/,target=/run/jdeps \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/java-jre/step.sh,target=/run/safe-frontend/step.sh \
    ["/bin/sh", "/run/safe-frontend/step.sh"]

# The final image: the runtime base pinned by digest, only what runs copied in,
# owned by root and not writable by the app's user.
FROM gcr.io/distroless/cc-debian13:nonroot@sha256:2222222222222222222222222222222222222222222222222222222222222222 AS final
# runtime: tini as PID 1 and the shell-less health probe, from the runtime image
COPY --link --from=safe-runtime --chmod=0755 /sbin/tini /usr/sbin/tini
COPY --link --from=safe-runtime --chmod=0644 /var/lib/dpkg/status.d/tini /var/lib/dpkg/status.d/tini
COPY --link --from=safe-runtime --chmod=0755 /sbin/safe-probe /usr/sbin/safe-probe
# java runtime
COPY --link --from=java-jre /out/jre/ /opt/java/
# dependencies
COPY --link --from=java /out/lib/ /app/lib/
# app
COPY --link --from=java /out/app/ /app/

# A numeric non-root user: Kubernetes' runAsNonRoot can check it.
USER 65532:65532
ENV JAVA_HOME=/opt/java
WORKDIR /app
EXPOSE 8080
LABEL org.opencontainers.image.base.digest=sha256:2222222222222222222222222222222222222222222222222222222222222222
LABEL org.opencontainers.image.base.name=gcr.io/distroless/cc-debian13:nonroot
LABEL org.opencontainers.image.title=java-hello
LABEL org.opencontainers.image.version=1.0.0
# Where the code comes from: the build args the frontend reads too. The image's
# created time is SOURCE_DATE_EPOCH's (a Dockerfile cannot write it as a label).
ARG VCS_REVISION VCS_SOURCE
LABEL org.opencontainers.image.revision=$VCS_REVISION org.opencontainers.image.source=$VCS_SOURCE
# The health check runs the static probe: no shell, no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --start-interval=1s --retries=3 \
    CMD ["/usr/sbin/safe-probe", "-timeout=3s", "http://127.0.0.1:8080/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/sbin/tini", "-e", "143", "--", "/opt/java/bin/java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:+PerfDisableSharedMem", "@/app/classpath.argfile", "com.example.hello.Main"]

--- .dockerignore
# The build context the frontend sends: its ignore patterns and the files
# that never belong in an image (keys, .env, VCS state).
.git
**/*.pem
