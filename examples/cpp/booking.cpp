// clinic-portal from C++17 through the RAII wrapper of clinic_portal.hpp: load the sample
// practice, search, hold, book, accept, cancel, drain the outbox, snapshot and restore.
//
// Build: c++ -std=c++17 -Wall -Wextra -Werror booking.cpp $(pkg-config --cflags --libs clinic_portal)
// Run:   ./booking-cpp examples/data/sample-practice.json
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "clinic_portal.hpp"

namespace {

std::string read_file(const char *path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error(std::string("cannot read ") + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string rfc3339(int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char out[32];
    std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

std::string brief(const std::string &json) { return json.size() > 120 ? json.substr(0, 120) + "..." : json; }

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " sample-practice.json\n";
        return 2;
    }
    try {
        clinic_portal::Engine engine(read_file(argv[1]));
        engine.upsert_patient(R"({"id": "pat-ben", "first_name": "Ben", "email": "ben@example.com"})");

        const int64_t now = 1804514400;  // 2027-03-08T14:00:00Z
        auto slots = engine.search_slots(
            R"({"service": "physio-followup-30", "from": "2027-03-10", "to": "2027-03-12", "practitioner": "christine"})",
            now);
        std::cout << slots->len << " slots with Christine\n";
        if (slots->len == 0) {
            return 1;
        }
        const std::string start = rfc3339(slots->items[slots->len - 1].start_unix);
        std::cout << "last: " << start << " at " << slots->items[slots->len - 1].clinic << "\n";

        std::cout << "hold: "
                  << brief(engine.hold(R"({"id": "h1", "patient": "pat-ben", "service": "physio-followup-30", )"
                                       R"("practitioner": "christine", "start": ")" + start + "\"}",
                                       now))
                  << "\n";
        std::cout << "book: "
                  << brief(engine.book(R"({"id": "b1", "patient": "pat-ben", "hold": "h1", "consent_given": true})",
                                       now + 60))
                  << "\n";
        try {
            engine.book(R"({"patient": "pat-ben", "hold": "h1", "consent_given": true, "id": "b2"})", now + 90);
            std::cerr << "the hold was used twice\n";
            return 1;
        } catch (const clinic_portal::Error &e) {
            std::cout << "again: " << e.name() << " (" << e.code() << "): " << e.what() << "\n";
        }
        std::cout << "accept: " << brief(engine.accept(R"({"appointment": "b1"})", now + 600)) << "\n";
        std::cout << "cancel: "
                  << brief(engine.cancel(R"({"appointment": "b1", "by": "staff", "reason": "closed"})", now + 900))
                  << "\n";
        std::cout << "outbox: " << brief(engine.drain_outbox()) << "\n";

        const std::string snapshot = engine.snapshot();
        auto restored = clinic_portal::Engine::restore(snapshot);
        const bool same = restored.snapshot() == snapshot;
        std::cout << "restored " << restored.appointment_count() << " appointment(s): "
                  << (same ? "identical" : "DIFFERENT") << "\n";
        return same ? 0 : 1;
    } catch (const clinic_portal::Error &e) {
        std::cerr << "clinic-portal error " << e.name() << ": " << e.what() << "\n";
        return 1;
    } catch (const std::exception &e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}
