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
