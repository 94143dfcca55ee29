# A hand-written best-practice Dockerfile for the Spring Boot JPA service
# (integration/testdata/java-spring): the yardstick the frontend is measured
# against on the framework most Java services use. Maven with a cache mount
# on the local repository, dependencies resolved from pom.xml before the
# sources are copied, Spring Boot's layered jar extracted with its own
# tools (dependencies, loader, snapshot dependencies, application) into
# layers of their own on distroless java, numeric non-root user.
FROM maven:3-eclipse-temurin-21 AS build
# Java reads no PEM bundles: the proxy CA (the optional `ca` secret) goes
# into a PKCS12 truststore, next to the JDK's cacerts, on a tmpfs.
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
    mvn -B -ntp -DskipTests package && \
    java -Djarmode=tools -jar target/java-spring-1.0.0.jar extract --layers --launcher --destination /app

FROM gcr.io/distroless/java21-debian13:nonroot
WORKDIR /app
COPY --from=build /app/dependencies/ ./
COPY --from=build /app/spring-boot-loader/ ./
COPY --from=build /app/snapshot-dependencies/ ./
COPY --from=build /app/application/ ./
USER 65532:65532
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "org.springframework.boot.loader.launch.JarLauncher"]
