// TcpStack::state_counts() (issue 15, `tcp.states` in shuntctl stats): the count of each RFC
// 9293 state follows every transition of the sockets, LISTEN counts the listeners, TIME-WAIT
// the TIME-WAIT table, and a freed socket leaves no count behind.
#include "tcp_fixture.hpp"

#include "stack/tcp/tcp_json.hpp"

#include <map>

namespace shunt::tcp::test {
namespace {

struct TcpStateCountsTest : TcpTest {
    // The non-zero counts by name, for readable failures.
    std::map<std::string, uint64_t> counts() const {
        std::map<std::string, uint64_t> m;
        const TcpStateCounts c = stack_->state_counts();
        for (size_t i = 0; i < kTcpStateCount; ++i) {
            if (c.by_state[i] != 0)
                m[std::string(to_string(static_cast<TcpState>(i)))] = c.by_state[i];
        }
        return m;
    }
    using M = std::map<std::string, uint64_t>;
};

TEST_F(TcpStateCountsTest, ActiveOpenAndCloseThroughTimeWait) {
    EXPECT_EQ(counts(), M{});
    TcpSocket* s = connect_syn_sent();
    EXPECT_EQ(counts(), (M{{"SYN-SENT", 1}}));
    send(peer(syn, remote_isn_, local_seq_).mss(1460));
    remote_seq_ = remote_isn_ + 1;
    expect_sent({ours(0, local_seq_, remote_seq_)});
    EXPECT_EQ(counts(), (M{{"ESTABLISHED", 1}}));
    s->shutdown_write();
    expect_sent({ours(fin, local_seq_, remote_seq_)});
    EXPECT_EQ(counts(), (M{{"FIN-WAIT-1", 1}}));
    send(peer(0, remote_seq_, local_seq_ + 1));
    EXPECT_EQ(counts(), (M{{"FIN-WAIT-2", 1}}));
    send(peer(fin, remote_seq_, local_seq_ + 1));
    expect_sent({ours(0, local_seq_ + 1, remote_seq_ + 1, 65534)});
    // The socket is in TIME-WAIT and so is its entry in the table: one connection, once.
    EXPECT_EQ(counts(), (M{{"TIME-WAIT", 1}}));
    s->close();
    EXPECT_EQ(counts(), (M{{"TIME-WAIT", 1}}));
    advance(60s);
    EXPECT_EQ(counts(), M{});
}

TEST_F(TcpStateCountsTest, PassiveOpenAndCloseThroughLastAck) {
    TcpSocket* s = accept_established();
    EXPECT_EQ(counts(), (M{{"LISTEN", 1}, {"ESTABLISHED", 1}}));
    send(peer(fin, remote_seq_, local_seq_));
    expect_sent({ours(0, local_seq_, remote_seq_ + 1, 65534)});
    EXPECT_EQ(counts(), (M{{"LISTEN", 1}, {"CLOSE-WAIT", 1}}));
    s->close();
    expect_sent({ours(fin, local_seq_, remote_seq_ + 1, 65534)});
    EXPECT_EQ(counts(), (M{{"LISTEN", 1}, {"LAST-ACK", 1}}));
    send(peer(0, remote_seq_ + 1, local_seq_ + 1));
    EXPECT_EQ(counts(), (M{{"LISTEN", 1}}));
    stack_->close_listener(listener_);
    EXPECT_EQ(counts(), M{});
}

TEST_F(TcpStateCountsTest, AResetSynReceivedLeavesNoCount) {
    listener_ = stack_->listen(kLocalPort, 8);
    send(peer(syn, remote_isn_).mss(1460));
    sent();
    EXPECT_EQ(counts(), (M{{"LISTEN", 1}, {"SYN-RECEIVED", 1}}));
    // The peer resets the half-open connection: it is gone from the counts.
    send(peer(rst, remote_isn_ + 1, std::nullopt));
    EXPECT_EQ(counts(), (M{{"LISTEN", 1}}));
}

TEST_F(TcpStateCountsTest, AnAbortedConnectionLeavesNoCount) {
    TcpSocket* s = connect_established();
    EXPECT_EQ(counts(), (M{{"ESTABLISHED", 1}}));
    s->abort();
    sent();
    EXPECT_EQ(counts(), M{});
}

TEST_F(TcpStateCountsTest, JsonNamesEveryStateButClosed) {
    TcpStateCounts c;
    c.by_state[static_cast<size_t>(TcpState::established)] = 3;
    const auto j = to_json(c);
    ASSERT_EQ(j.size(), kTcpStateCount - 1);
    EXPECT_EQ(j.begin().key(), "LISTEN");
    EXPECT_EQ(j["ESTABLISHED"], 3);
    EXPECT_EQ(j["TIME-WAIT"], 0);
    EXPECT_FALSE(j.contains("CLOSED"));
}

}  // namespace
}  // namespace shunt::tcp::test
