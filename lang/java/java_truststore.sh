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
