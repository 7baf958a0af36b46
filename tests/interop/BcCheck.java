// Interop check with BouncyCastle (Debian's libbcprov-java + libbcpkix-java), run by the tests:
//   java -cp bcprov.jar:bcpkix.jar:bcutil.jar BcCheck.java decrypt IN.p7m CERT.pem KEY.pem OUT
//   java -cp ... BcCheck.java verify SIGNATURE.p7s CONTENT
// Prints what it found (key transport algorithm, signer) and exits 0 only when it holds.
import java.io.FileReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.KeyTransRecipientInformation;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientId;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.util.Store;

public class BcCheck {
    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        if (args[0].equals("decrypt")) {
            decrypt(args[1], args[2], args[3], args[4]);
        } else if (args[0].equals("verify")) {
            verify(args[1], args[2]);
        } else {
            throw new IllegalArgumentException(args[0]);
        }
    }

    static void decrypt(String in, String certPath, String keyPath, String out) throws Exception {
        X509Certificate cert;
        try (var stream = Files.newInputStream(Path.of(certPath))) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(stream);
        }
        PrivateKey key;
        try (var parser = new PEMParser(new FileReader(keyPath))) {
            key = new JcaPEMKeyConverter().setProvider("BC").getPrivateKey((PrivateKeyInfo) parser.readObject());
        }
        CMSEnvelopedData enveloped = new CMSEnvelopedData(Files.readAllBytes(Path.of(in)));
        RecipientInformation recipient = enveloped.getRecipientInfos().get(new JceKeyTransRecipientId(cert));
        if (recipient == null) {
            System.out.println("no recipient info for this certificate");
            System.exit(1);
        }
        System.out.println("key transport " + ((KeyTransRecipientInformation) recipient).getKeyEncryptionAlgOID());
        System.out.println("content cipher " + enveloped.getEncryptionAlgOID());
        byte[] content = recipient.getContent(new JceKeyTransEnvelopedRecipient(key).setProvider("BC"));
        Files.write(Path.of(out), content);
        System.out.println("decrypted " + content.length + " bytes");
    }

    @SuppressWarnings("unchecked")
    static void verify(String signaturePath, String contentPath) throws Exception {
        byte[] content = Files.readAllBytes(Path.of(contentPath));
        CMSSignedData signed = new CMSSignedData(
            new CMSProcessableByteArray(content), Files.readAllBytes(Path.of(signaturePath)));
        Store<X509CertificateHolder> certs = signed.getCertificates();
        boolean all = true;
        for (SignerInformation signer : signed.getSignerInfos().getSigners()) {
            X509CertificateHolder holder =
                (X509CertificateHolder) certs.getMatches(signer.getSID()).iterator().next();
            boolean ok = signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(holder));
            System.out.println((ok ? "verified " : "FAILED ") + holder.getSubject());
            if (signer.getUnsignedAttributes() != null
                && signer.getUnsignedAttributes().get(
                    org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_aa_signatureTimeStampToken) != null) {
                System.out.println("signature time-stamp present");
            }
            all &= ok;
        }
        System.exit(all ? 0 : 1);
    }
}
