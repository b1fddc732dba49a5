// A small C++17 RAII wrapper over the clinic-portal C ABI: `clinic_portal::Engine` owns a
// `cp_engine *`, every failing call throws `clinic_portal::Error` carrying the status, and
// returned strings are copied into `std::string` and freed at once.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "clinic_portal.h"

namespace clinic_portal {

// A failed call: `code()` is the cp_status, `name()` its stable name, `what()` the message.
class Error : public std::runtime_error {
public:
    Error(cp_status code, std::string message)
        : std::runtime_error(std::move(message)), code_(code) {}
    cp_status code() const noexcept { return code_; }
    std::string name() const { return cp_status_name(code_); }

private:
    cp_status code_;
};

// Throws when `status` is not CP_STATUS_OK; always frees `error`. Call it after the C call
// has returned (not as `check(f(&error), error)`: argument order is unspecified).
inline void check(cp_status status, cp_error *error) {
    std::unique_ptr<cp_error, decltype(&cp_error_free)> owned(error, &cp_error_free);
    if (status != CP_STATUS_OK) {
        throw Error(status, cp_error_message(owned.get()));
    }
}

// Takes ownership of a library string.
inline std::string take(char *text) {
    std::unique_ptr<char, decltype(&cp_string_free)> owned(text, &cp_string_free);
    return text == nullptr ? std::string() : std::string(text);
}

// The typed slot answer, freed by its destructor.
using Slots = std::unique_ptr<cp_slots, decltype(&cp_slots_free)>;

class Engine {
public:
    explicit Engine(const std::string &config_json) {
        cp_error *error = nullptr;
        cp_engine *raw = nullptr;
        const cp_status status = cp_engine_from_json(config_json.c_str(), &raw, &error);
        check(status, error);
        engine_.reset(raw);
    }

    static Engine restore(const std::string &snapshot_json) {
        cp_error *error = nullptr;
        cp_engine *raw = nullptr;
        const cp_status status = cp_engine_restore(snapshot_json.c_str(), &raw, &error);
        check(status, error);
        return Engine(raw);
    }

    void upsert_patient(const std::string &patient_json) {
        cp_error *error = nullptr;
        const cp_status status = cp_engine_upsert_patient(get(), patient_json.c_str(), nullptr, &error);
        check(status, error);
    }

    Slots search_slots(const std::string &query_json, int64_t now) const {
        cp_error *error = nullptr;
        cp_slots *raw = nullptr;
        const cp_status status = cp_engine_search_slots(get(), query_json.c_str(), now, &raw, &error);
        check(status, error);
        return Slots(raw, &cp_slots_free);
    }

    std::string hold(const std::string &request, int64_t now) { return op(cp_engine_hold, request, now); }
    std::string book(const std::string &request, int64_t now) { return op(cp_engine_book, request, now); }
    std::string accept(const std::string &request, int64_t now) { return op(cp_engine_accept, request, now); }
    std::string cancel(const std::string &request, int64_t now) { return op(cp_engine_cancel, request, now); }

    std::string drain_outbox() {
        cp_error *error = nullptr;
        char *out = nullptr;
        const cp_status status = cp_engine_drain_outbox(get(), &out, &error);
        check(status, error);
        return take(out);
    }

    std::string snapshot() const {
        cp_error *error = nullptr;
        char *out = nullptr;
        const cp_status status = cp_engine_snapshot(get(), &out, &error);
        check(status, error);
        return take(out);
    }

    std::size_t appointment_count() const {
        cp_error *error = nullptr;
        std::size_t count = 0;
        const cp_status status = cp_engine_appointment_count(get(), &count, &error);
        check(status, error);
        return count;
    }

private:
    explicit Engine(cp_engine *raw) { engine_.reset(raw); }

    cp_engine *get() const { return engine_.get(); }

    using Op = cp_status (*)(const cp_engine *, const char *, int64_t, char **, cp_error **);
    std::string op(Op function, const std::string &request, int64_t now) {
        cp_error *error = nullptr;
        char *out = nullptr;
        const cp_status status = function(get(), request.c_str(), now, &out, &error);
        check(status, error);
        return take(out);
    }

    std::unique_ptr<cp_engine, decltype(&cp_engine_free)> engine_{nullptr, &cp_engine_free};
};

}  // namespace clinic_portal
