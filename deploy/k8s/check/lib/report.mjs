//  report.mjs - count what passed, keep what failed, say it once at the end
export class Report {
    constructor () {
        this.passed = 0;
        this.failures = [];
    }

    //  true when ok; otherwise the failure is kept as "where: message"
    check (ok, where, message) {
        if (ok)
            this.passed++;
        else
            this.failures.push (`${where}: ${message}`);
        return !!ok;
    }

    fail (where, message) {
        this.failures.push (`${where}: ${message}`);
    }

    note (message) {
        console.log (`k8s-check: ${message}`);
    }
}
