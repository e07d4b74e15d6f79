// useQuery throws a query's error during render: a boundary per screen shows the advice
// for its code and lets the person try again (remounting re-subscribes).
import { Component, type ReactNode } from "react";
import { adviseOn } from "./errors";

type Props = { children: ReactNode };
type State = { error: unknown; failed: boolean };

export class QueryErrorBoundary extends Component<Props, State> {
  state: State = { error: null, failed: false };

  static getDerivedStateFromError(error: unknown): State {
    return { error, failed: true };
  }

  render() {
    if (!this.state.failed) return this.props.children;
    const advice = adviseOn(this.state.error);
    return (
      <div className="error" role="alert">
        <p>{advice.text}</p>
        {advice.retry !== "never" && (
          <button type="button" onClick={() => this.setState({ error: null, failed: false })}>
            Try again
          </button>
        )}
      </div>
    );
  }
}
