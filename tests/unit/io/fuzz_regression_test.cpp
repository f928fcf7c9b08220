// Inputs the libFuzzer targets (tests/fuzz/) found to crash a parser, kept as regression tests.
// Each text lives in a buffer of exactly its size, so an ASan build sees a read past its end.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "io/checkpoint.hpp"
#include "io/csv.hpp"
#include "io/fleet_csv.hpp"
#include "io/sim_checkpoint.hpp"
#include "src/util/hash.hpp"
#include "tests/fuzz/sim_state_scenario.hpp"

namespace fp::io {
namespace {

// A copy of `s` with nothing after it (no terminating NUL to read by accident).
struct ExactBuffer {
    explicit ExactBuffer(std::string_view s) : bytes(new char[s.size()]), size(s.size()) {
        s.copy(bytes.get(), s.size());
    }
    std::string_view view() const { return {bytes.get(), size}; }
    std::unique_ptr<char[]> bytes;
    size_t size;
};

// fuzz_vms_csv: a record ending with a comma at the very end of the text (no newline) read one
// byte past the end (io/csv.cpp, CsvScanner::next) while looking for a quoted last field.
TEST(FuzzRegression, CsvTrailingCommaAtEndOfTextIsAnEmptyLastField) {
    const ExactBuffer text("a,b\n1,");
    CsvScanner s(text.view(), CsvChunk{0, text.size, 1});
    ASSERT_EQ(s.next(), CsvScanner::kRecord);
    ASSERT_EQ(s.next(), CsvScanner::kRecord);
    ASSERT_EQ(s.fields().size(), 2u);
    EXPECT_EQ(s.fields()[0], "1");
    EXPECT_EQ(s.fields()[1], "");
    EXPECT_EQ(s.next(), CsvScanner::kEnd);

    const ExactBuffer vms("id,host,c01,h3v1,h3,1,102I1,");
    auto r = parse_fleet("id,cpu,mem\nh3,1,1024\n", "hosts.csv", vms.view(), "vms.csv");
    EXPECT_FALSE(r.has_value());
}

// fuzz_checkpoint's seeds through --previous's reader (read_previous, whole and in 3 ranges):
// damaged files are bad input, never a crash; the intact one gives read_checkpoint's moved ids.
TEST(FuzzRegression, CheckpointSeedsThroughThePreviousReader) {
    const std::string dir = std::string(FP_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_checkpoint/";
    for (const char* bad : {"not-hdf5", "truncated-2k.h5", "too-many-dictionary-names.h5"})
        for (int ranges : {1, 3})
            for (int k = 0; k < ranges; ++k) {
                auto p = read_previous(dir + bad, k, ranges);
                ASSERT_FALSE(p.has_value()) << bad;
                EXPECT_EQ(p.error().code, ErrorCode::kBadInput) << bad;
            }
    auto whole = read_checkpoint(dir + "plan-small.h5");
    ASSERT_TRUE(whole.has_value()) << whole.error().msg;
    std::vector<std::string> want;
    for (const plan::Move& m : whole->plan.moves)
        want.push_back(whole->fleet.vms[static_cast<size_t>(m.vm)].id);
    std::sort(want.begin(), want.end());
    std::vector<std::string> got;
    std::vector<std::vector<ColumnSum>> sums;
    for (int k = 0; k < 3; ++k) {
        auto p = read_previous(dir + "plan-small.h5", k, 3);
        ASSERT_TRUE(p.has_value()) << p.error().msg;
        got.insert(got.end(), p->moved_ids.begin(), p->moved_ids.end());
        sums.push_back(p->sums);
        if (k == 2) {
            EXPECT_TRUE(verify_previous_rows(dir + "plan-small.h5", *p, sums).has_value());
        }
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want);
}

// Loads a fuzz_sim_state seed as the target takes it (the blob without its checksum, which is
// appended) into the fuzz scenario's engine.
Result<void> load_sim_state_seed(const std::string& name) {
    std::ifstream in(std::string(FP_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_sim_state/" + name,
                     std::ios::binary);
    if (!in.good()) return bad_input("no seed " + name);
    std::string blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const uint64_t sum = fnv1a64(blob);
    blob.append(reinterpret_cast<const char*>(&sum), sizeof sum);
    return fuzz::make_engine()->load_state(blob);
}

// fuzz_sim_state: a state whose counters (Figures::migrations, ...) were near INT64_MAX loaded,
// and the next interval's sum overflowed (src/sim/engine.cpp, Figures::add).
TEST(FuzzRegression, SimStateWithHugeCountersIsRefused) {
    auto r = load_sim_state_seed("regress-counter-overflow");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().msg, "simulator state: counts out of range");
}

// fuzz_sim_state: a forged state gave the best chain a VM last moved at tick INT32_MIN, and the
// cooldown test (tick - last_moved) overflowed (src/sim/best_chain.cpp). The chain's state now
// holds only ticks or "never".
TEST(FuzzRegression, SimStateWithALastMoveBeforeTimeIsRefused) {
    auto r = load_sim_state_seed("regress-last-moved-overflow");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().msg, "simulator state: the chain's state is corrupt");
}

// fuzz_sim_checkpoint: a damaged dataspace claiming ~10^16 VMs made the reader allocate that
// many (io/h5_file.hpp, Reader::length): bad_alloc or an out-of-memory kill instead of an error.
// The damage is rebuilt here with the HDF5 API: a valid checkpoint whose /scenario/vms/mips
// claims 2^40 elements (chunked, never written, so the file stays small).
TEST(FuzzRegression, SimCheckpointWithAnImplausibleLengthIsAnError) {
    const std::string path = "/tmp/fp_fuzz_regression_" + std::to_string(::getpid()) + ".h5";
    SimCheckpoint c;
    c.program_version = "test";
    c.chain = "best";
    c.scenario = fuzz::scenario();
    auto engine = fuzz::make_engine();
    c.state = engine->save_state();
    ASSERT_TRUE(write_sim_checkpoint(path, c).has_value());
    ASSERT_TRUE(read_sim_checkpoint(path).has_value());
    {
        const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        ASSERT_GE(f, 0);
        ASSERT_GE(H5Ldelete(f, "/scenario/vms/mips", H5P_DEFAULT), 0);
        const hsize_t dims[1] = {hsize_t{1} << 40}, chunk[1] = {1024};
        const hid_t space = H5Screate_simple(1, dims, nullptr);
        const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        ASSERT_GE(H5Pset_chunk(dcpl, 1, chunk), 0);
        const hid_t d = H5Dcreate2(f, "/scenario/vms/mips", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT,
                                   dcpl, H5P_DEFAULT);
        ASSERT_GE(d, 0);
        H5Dclose(d);
        H5Pclose(dcpl);
        H5Sclose(space);
        H5Fclose(f);
    }
    auto r = read_sim_checkpoint(path);
    ::unlink(path.c_str());
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().msg.find("bad length of /scenario/vms/mips"), std::string::npos)
        << r.error().msg;
}

}  // namespace
}  // namespace fp::io
