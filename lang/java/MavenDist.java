import java.io.*;
import java.net.URI;
import java.net.http.*;
import java.nio.file.*;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.*;

// MavenDist fetches the Maven distribution a project's wrapper names,
// checks its SHA-256 and unpacks it.
// args: the URL, the pinned SHA-256 followed by "-" ("-" when none), the
// directory to unpack into, the properties file (for messages).
public class MavenDist {
    public static void main(String[] args) throws Exception {
        String url = args[0], want = args[1].substring(0, args[1].length() - 1);
        Path dest = Path.of(args[2]);
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpResponse<byte[]> resp = client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (resp.statusCode() != 200) {
            System.err.println("error: " + url + " (distributionUrl in " + args[3] + "): HTTP " + resp.statusCode());
            System.exit(1);
        }
        byte[] zip = resp.body();
        String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(zip));
        if (want.isEmpty()) {
            System.out.println("warning: " + args[3] + " pins no checksum of the Maven distribution; to check it on every build, add the line: distributionSha256Sum=" + got);
        } else if (!want.equals(got)) {
            System.err.println("error: " + url + " has SHA-256 " + got + ", but " + args[3] + " pins distributionSha256Sum=" + want + ": not the distribution the project pinned");
            System.exit(1);
        } else {
            System.out.println("Maven distribution " + url + ": SHA-256 " + got + " as pinned");
        }
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                String name = e.getName();
                int slash = name.indexOf('/');
                Path out = dest.resolve(slash < 0 ? name : name.substring(slash + 1)).normalize();
                if (!out.startsWith(dest)) throw new IOException(url + ": entry " + name + " is outside the distribution");
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                Files.createDirectories(out.getParent());
                Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                if (out.getParent().getFileName().toString().equals("bin")) out.toFile().setExecutable(true, false);
            }
        }
        if (!Files.isRegularFile(dest.resolve("bin/mvn"))) {
            System.err.println("error: " + url + " (distributionUrl in " + args[3] + ") holds no bin/mvn: not a Maven distribution");
            System.exit(1);
        }
    }
}
