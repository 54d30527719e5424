import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.kmodkit.formats.sign.OpenPgpSigner;
import org.kmodkit.formats.PackageSpec;
import org.kmodkit.formats.PayloadFile;
import org.kmodkit.formats.Relation;
import org.kmodkit.repo.RepoOptions;
import org.kmodkit.repo.RepoSummary;
import org.kmodkit.formats.Scriptlets;
import org.kmodkit.formats.rpm.RpmWriter;
import org.kmodkit.repo.yum.YumRepository;

/**
 * The library calls bench/repo-vs-createrepo_c.sh times, until `kmodkit repo create --yum` exists:
 *   generate DIR N KEYFILE   N small signed kmod RPMs into DIR, the secret key into KEYFILE
 *   create DIR KEYFILE       the YUM metadata of DIR, signed with KEYFILE (what the CLI will do)
 */
public final class RepoBench {
  public static void main(String[] args) throws Exception {
    if (args.length == 4 && args[0].equals("generate")) {
      Path dir = Files.createDirectories(Path.of(args[1]));
      int n = Integer.parseInt(args[2]);
      OpenPgpSigner key = OpenPgpSigner.generate("kmodkit bench <bench@example.org>", 2048);
      Files.writeString(Path.of(args[3]), key.secretKeyArmored(), StandardCharsets.US_ASCII);
      Path src = Files.createDirectories(dir.resolveSibling("src"));
      RpmWriter w = new RpmWriter();
      for (int i = 0; i < n; i++) {
        String name = String.format("kmod-bench%03d", i);
        byte[] ko = new byte[16384 + 97 * i];
        for (int j = 0; j < ko.length; j++) {
          ko[j] = (byte) ((j * 31 + i) ^ (j >>> 7));
        }
        Path f = Files.write(src.resolve(name + ".ko"), ko);
        List<Relation> req = new ArrayList<>();
        for (int s = 0; s < 40; s++) {
          req.add(Relation.eq("kernel(sym_" + (s * 7 + i) % 300 + ")", String.format("0x%08x", (s * 2654435761L + i) & 0xffffffffL)));
        }
        w.write(new PackageSpec(name, "1.0", "1.el9", "x86_64", "Bench driver " + i, "Synthetic driver package " + i + " for the repository benchmark.", null, "kmodkit bench", null,
            1_700_000_000L + i, List.of(new PayloadFile("/lib/modules/5.14.0-427.el9.x86_64/extra/" + name + ".ko", 0644, f)), req,
            List.of(Relation.eq("kmod(" + name + ".ko)", "1.0")), List.of(), new Scriptlets(null, "depmod -a || :", null, "depmod -a || :")), dir, key);
      }
      return;
    }
    if (args.length == 3 && args[0].equals("create")) {
      OpenPgpSigner key = OpenPgpSigner.load(Path.of(args[2]), new char[0]);
      RepoSummary s = new YumRepository().create(Path.of(args[1]), new RepoOptions("bench", key, Boolean.getBoolean("verify"), List.of(), "file://" + args[1]));
      System.out.println(s.packages() + " packages");
      return;
    }
    System.err.println("usage: RepoBench generate DIR N KEYFILE | create DIR KEYFILE");
    System.exit(2);
  }
}
