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
