// A counting semaphore: bounds open connections per process and channels per connection.
export class Semaphore {
    private waiters: Array<() => void> = [];
    constructor(private available: number) {}

    acquire(): Promise<void> {
        if (this.available > 0) {
            this.available--;
            return Promise.resolve();
        }
        return new Promise((resolve) => this.waiters.push(resolve));
    }

    release(): void {
        const next = this.waiters.shift();
        if (next) next();
        else this.available++;
    }
}
