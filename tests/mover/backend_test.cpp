// read_backend(): each backend's kopia flags and credentials from the Secret's files, and the
// errors a bad work spec gets, each naming its field.
#include "kopiur/mover/backend.hpp"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace kopiur::mover {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

class BackendTest : public ::testing::Test {
 protected:
  void secret(const std::string& key, const std::string& value) {
    test::write_file_atomically(dir_.file(key), value);
  }
  Backend read(const json& repository) {
    errors_.clear();
    return read_backend(repository, dir_.path().string(), errors_);
  }
  std::string all_errors() const {
    std::string out;
    for (const auto& e : errors_) out += e + "\n";
    return out;
  }
  test::TempDir dir_{"kopiur-backend-"};
  std::vector<std::string> errors_;
};

TEST_F(BackendTest, S3CredentialsGoThroughTheEnvironmentNeverTheCommandLine) {
  secret("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE\n");
  secret("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI");
  const auto b = read({{"s3",
                        {{"bucket", "backups"},
                         {"prefix", "team-a/"},
                         {"endpoint", "minio.local:9000"},
                         {"region", "eu-1"},
                         {"disableTLS", true},
                         {"credentialsSecretRef", {{"name", "s3-creds"}}}}},
                       {"create", true}});
  ASSERT_TRUE(errors_.empty()) << all_errors();
  EXPECT_EQ(b.type, "s3");
  EXPECT_EQ(b.location, "s3://backups");
  EXPECT_EQ(connect_flags(b), (std::vector<std::string>{"--bucket=backups", "--prefix=team-a/",
                                                        "--endpoint=minio.local:9000",
                                                        "--region=eu-1", "--disable-tls"}));
  EXPECT_EQ(b.env, (std::vector<std::string>{"AWS_ACCESS_KEY_ID=AKIAEXAMPLE",
                                             "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI"}));
}

TEST_F(BackendTest, MissingFieldsAndCredentialsAreNamedAllAtOnce) {
  read({{"s3", {{"prefix", 3}, {"disableTLS", "yes"}, {"bukket", "x"}}}});
  const auto e = all_errors();
  EXPECT_NE(e.find("repository.s3.bukket: unknown field (known: bucket, prefix, endpoint, region, "
                   "disableTLS)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("repository.s3.bucket: required field is missing"), std::string::npos) << e;
  EXPECT_NE(e.find("repository.s3.prefix: expected a string, got number"), std::string::npos);
  EXPECT_NE(e.find("repository.s3.disableTLS: expected true or false, got string"),
            std::string::npos);
  EXPECT_NE(e.find("repository.s3: the Secret has no key \"AWS_ACCESS_KEY_ID\""),
            std::string::npos);
  EXPECT_NE(e.find("repository.s3: the Secret has no key \"AWS_SECRET_ACCESS_KEY\""),
            std::string::npos);
}

TEST_F(BackendTest, FileCredentialsArePassedAsPathsOfTheSecretsFiles) {
  secret("GOOGLE_APPLICATION_CREDENTIALS", R"({"type":"service_account"})");
  const auto gcs = read({{"gcs", {{"bucket", "b"}}}});
  ASSERT_TRUE(errors_.empty()) << all_errors();
  EXPECT_THAT(connect_flags(gcs),
              ElementsAre("--bucket=b",
                          "--credentials-file=" + dir_.file("GOOGLE_APPLICATION_CREDENTIALS")));
  EXPECT_TRUE(gcs.env.empty());

  secret("SFTP_KEY", "-----BEGIN OPENSSH PRIVATE KEY-----");
  secret("SFTP_KNOWN_HOSTS", "host ssh-ed25519 AAAA");
  const auto sftp =
      read({{"sftp", {{"host", "nas"}, {"port", 2222}, {"username", "u"}, {"path", "/b"}}}});
  ASSERT_TRUE(errors_.empty()) << all_errors();
  EXPECT_THAT(connect_flags(sftp), ElementsAre("--host=nas", "--port=2222", "--username=u",
                                               "--path=/b", "--keyfile=" + dir_.file("SFTP_KEY"),
                                               "--known-hosts=" + dir_.file("SFTP_KNOWN_HOSTS")));
  read({{"sftp", {{"host", "nas"}, {"port", 70000}, {"username", "u"}, {"path", "/b"}}}});
  EXPECT_NE(all_errors().find("repository.sftp.port: expected a port number 1-65535, got 70000"),
            std::string::npos);
}

TEST_F(BackendTest, AzureNeedsAKeyOrASasTokenAndWebDavCredentialsAreOptional) {
  read({{"azure", {{"container", "c"}}}});
  EXPECT_NE(all_errors().find("AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN"), std::string::npos);
  secret("AZURE_STORAGE_SAS_TOKEN", "sv=2024");
  const auto az = read({{"azure", {{"container", "c"}, {"storageAccount", "acct"}}}});
  ASSERT_TRUE(errors_.empty()) << all_errors();
  EXPECT_THAT(az.env, ElementsAre("AZURE_STORAGE_SAS_TOKEN=sv=2024"));

  secret("RCLONE_CONFIG", "[remote]\ntype = s3\n");
  const auto rclone = read({{"rclone", {{"remotePath", "remote:bucket"}}}});
  ASSERT_TRUE(errors_.empty()) << all_errors();
  EXPECT_THAT(rclone.env, ElementsAre("RCLONE_CONFIG=" + dir_.file("RCLONE_CONFIG")));

  const auto dav = read({{"webDav", {{"url", "https://dav.example/backups"}}}});
  ASSERT_TRUE(errors_.empty()) << all_errors();
  EXPECT_EQ(dav.type, "webdav");
  EXPECT_TRUE(dav.env.empty());
}

TEST_F(BackendTest, ExactlyOneBackend) {
  read({{"create", true}});
  EXPECT_NE(all_errors().find("repository: no backend given"), std::string::npos);
  read({{"filesystem", {{"path", "/r"}}}, {"b2", {{"bucket", "x"}}}});
  EXPECT_NE(all_errors().find("repository: 2 backends given; set exactly one"), std::string::npos);
  read({{"ftp", {{"host", "x"}}}});
  EXPECT_NE(all_errors().find("repository.ftp: unknown field (a backend is one of filesystem, s3, "
                              "gcs, azure, b2, sftp, webDav, rclone"),
            std::string::npos);
  const auto fs = read({{"filesystem", {{"path", "/r"}}}});
  ASSERT_TRUE(errors_.empty()) << all_errors();
  EXPECT_THAT(connect_flags(fs), ElementsAre("--path=/r"));
}

}  // namespace
}  // namespace kopiur::mover
