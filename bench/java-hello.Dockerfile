# A hand-written best-practice Dockerfile for examples/java-hello: the
# yardstick the frontend is measured against. Maven with a cache mount on the
# local repository, dependencies resolved from pom.xml before the sources
# are copied, `package` without tests, the dependency jars and the app's jar
# in layers of their own on distroless java, numeric non-root user, java
# called directly with container-aware memory flags.
FROM maven:3-eclipse-temurin-21 AS build
# Java reads no PEM bundles: the proxy CA (the optional `ca` secret) goes
# into a PKCS12 truststore, next to the JDK's cacerts, on a tmpfs, so it
# lands in no layer. One JVM for any number of certificates (keytool takes
# one per run).
COPY <<'JAVA' /usr/local/lib/PemTrustStore.java
import java.io.*;
import java.nio.file.*;
import java.security.KeyStore;
import java.security.cert.*;
import java.util.*;

class PemTrustStore {
    public static void main(String[] args) throws Exception {
        char[] pw = "changeit".toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, pw);
        Set<Certificate> seen = new HashSet<>();
        KeyStore jdk = KeyStore.getInstance(KeyStore.getDefaultType());
        try (InputStream in = Files.newInputStream(Path.of(System.getProperty("java.home"), "lib/security/cacerts"))) {
            jdk.load(in, pw);
        }
        for (String alias : Collections.list(jdk.aliases())) {
            if (seen.add(jdk.getCertificate(alias))) store.setCertificateEntry(alias, jdk.getCertificate(alias));
        }
        int n = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(Path.of(args[0])))) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                if (seen.add(c)) store.setCertificateEntry("build-ca-" + (++n), c);
            }
        }
        try (OutputStream out = Files.newOutputStream(Path.of(args[1]))) {
            store.store(out, pw);
        }
    }
}
JAVA
WORKDIR /src
COPY pom.xml .
RUN --mount=type=cache,target=/root/.m2/repository \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=tmpfs,target=/run/truststore \
    if [ -s /run/secrets/ca.pem ]; then \
      java /usr/local/lib/PemTrustStore.java /run/secrets/ca.pem /run/truststore/cacerts.p12 && \
      export MAVEN_OPTS="-Djavax.net.ssl.trustStore=/run/truststore/cacerts.p12 -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit"; \
    fi && \
    mvn -B -ntp dependency:go-offline
COPY src src
# Not offline: on a runner whose repository cache mount is empty (a fresh CI
# runner) `package` downloads its plugins and dependencies again.
RUN --mount=type=cache,target=/root/.m2/repository \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=tmpfs,target=/run/truststore \
    if [ -s /run/secrets/ca.pem ]; then \
      java /usr/local/lib/PemTrustStore.java /run/secrets/ca.pem /run/truststore/cacerts.p12 && \
      export MAVEN_OPTS="-Djavax.net.ssl.trustStore=/run/truststore/cacerts.p12 -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit"; \
    fi && \
    mvn -B -ntp -DskipTests package dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib && \
    mkdir /app && mv target/lib /app/lib && mv target/java-hello-1.0.0.jar /app/app.jar

FROM gcr.io/distroless/java21-debian13:nonroot
COPY --from=build /app/lib /app/lib
COPY --from=build /app/app.jar /app/app.jar
WORKDIR /app
USER 65532:65532
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/app.jar"]
CMD ["--listen=:8080"]
