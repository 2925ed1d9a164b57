// The work spec: every operation's fields, defaults, and errors that name the field.
#include "kopiur/mover/work_spec.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace kopiur::mover {
namespace {

class WorkSpecTest : public ::testing::Test {
 protected:
  WorkSpecTest() {
    std::filesystem::create_directories(dir_.path() / "secret");
    test::write_file_atomically(dir_.file("secret/KOPIA_PASSWORD"), "pw\r\n");
    test::write_file_atomically(dir_.file("secret/custom"), "other");
  }
  LoadedWorkSpec parse(const std::string& json, std::string_view op) {
    return parse_work_spec(json, op, dir_.file("secret"));
  }
  static std::string joined(const LoadedWorkSpec& l) {
    std::string out;
    for (const auto& e : l.errors) out += e + "\n";
    return out;
  }
  test::TempDir dir_{"mover-spec-"};
};

constexpr const char* kRepo = R"("repository":{"filesystem":{"path":"/repo"}})";

TEST_F(WorkSpecTest, BackupSpecIsRead) {
  const auto l = parse(std::string("{") + kRepo +
                           R"(,"identity":{"hostname":"h","username":"u"},
                           "backup":{"sourcePath":"/data","description":"d","tags":{"a":"b"}}})",
                       "backup");
  ASSERT_TRUE(l.errors.empty()) << joined(l);
  EXPECT_EQ(l.spec.operation, Operation::kBackup);
  EXPECT_EQ(l.spec.backend.filesystem_path, "/repo");
  EXPECT_EQ(l.spec.backend.type, "filesystem");
  EXPECT_EQ(l.spec.password, "pw") << "trailing newline stripped";
  EXPECT_EQ(l.spec.hostname, "h");
  EXPECT_EQ(l.spec.source_path, "/data");
  EXPECT_EQ(l.spec.tags.at("a"), "b");
  EXPECT_FALSE(l.spec.create);
}

TEST_F(WorkSpecTest, EveryOperationHasItsRequiredBlock) {
  for (const auto& [op, field] : std::vector<std::pair<std::string, std::string>>{
           {"backup", "backup: required field is missing"},
           {"restore", "restore: required field is missing"},
           {"snapshot-delete", "snapshotDelete: required field is missing"}}) {
    const auto l = parse(std::string("{") + kRepo + "}", op);
    EXPECT_EQ(joined(l), field + "\n") << op;
  }
  EXPECT_TRUE(parse(std::string("{") + kRepo + "}", "connect").errors.empty());
  EXPECT_TRUE(parse(std::string("{") + kRepo + "}", "catalog").errors.empty());
  const auto m = parse(std::string("{") + kRepo + "}", "maintenance");
  EXPECT_TRUE(m.errors.empty());
  EXPECT_FALSE(m.spec.full) << "quick by default";
  EXPECT_EQ(m.spec.safety, "full");
}

TEST_F(WorkSpecTest, ErrorsNameTheirFieldsAllAtOnce) {
  const auto l = parse(R"({"operation":"backup","repository":{"filesystem":{"path":7},
      "create":"yes","passwordKey":"../x"},"restore":{"snapshotId":"","targetPath":"rel"},
      "identity":"me"})",
                       "restore");
  const std::string e = joined(l);
  EXPECT_NE(e.find("operation: the work spec is for \"backup\" but the Job runs \"restore\""),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("repository.filesystem.path: expected a string, got number"), std::string::npos);
  EXPECT_NE(e.find("repository.create: expected true or false, got string"), std::string::npos);
  EXPECT_NE(e.find("repository.passwordKey: must be a Secret key name"), std::string::npos);
  EXPECT_NE(e.find("restore.snapshotId: must not be empty"), std::string::npos);
  EXPECT_NE(e.find("restore.targetPath: must be an absolute path"), std::string::npos);
  EXPECT_NE(e.find("identity: expected an object, got string"), std::string::npos);
}

TEST_F(WorkSpecTest, SecretKeysAndBadDocuments) {
  auto l =
      parse(R"({"repository":{"filesystem":{"path":"/r"},"passwordKey":"custom"}})", "connect");
  ASSERT_TRUE(l.errors.empty()) << joined(l);
  EXPECT_EQ(l.spec.password, "other");
  l = parse(R"({"repository":{"filesystem":{"path":"/r"},"passwordKey":"absent"}})", "connect");
  EXPECT_NE(joined(l).find("repository.passwordKey: the Secret has no key \"absent\""),
            std::string::npos);
  test::write_file_atomically(dir_.file("secret/empty"), "\n");
  l = parse(R"({"repository":{"filesystem":{"path":"/r"},"passwordKey":"empty"}})", "connect");
  EXPECT_NE(joined(l).find("is empty"), std::string::npos);
  EXPECT_EQ(joined(parse("[1,2", "connect")), "work spec: not a JSON object\n");
  EXPECT_EQ(joined(parse("{}", "connect")), "repository: required field is missing\n");
  l = parse(std::string("{") + kRepo + R"(,"maintenance":{"mode":"deep","safety":"yolo"}})",
            "maintenance");
  EXPECT_NE(joined(l).find("maintenance.mode: unsupported value \"deep\""), std::string::npos);
  EXPECT_NE(joined(l).find("maintenance.safety: unsupported value \"yolo\""), std::string::npos);
  EXPECT_NE(joined(load_work_spec(dir_.file("nope.json"), "connect", dir_.file("secret")))
                .find("--work-spec: cannot read"),
            std::string::npos);
}

TEST(Operations, NamesRoundTrip) {
  for (const auto op : {Operation::kConnect, Operation::kCatalog, Operation::kBackup,
                        Operation::kSnapshotDelete, Operation::kRestore, Operation::kMaintenance}) {
    EXPECT_EQ(parse_operation(operation_name(op)), op);
  }
  EXPECT_FALSE(parse_operation("Snapshot").has_value());
}

}  // namespace
}  // namespace kopiur::mover
