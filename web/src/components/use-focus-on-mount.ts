import { useEffect, useRef } from 'react';

/** Moves focus to the returned element when it mounts, so keyboard and screen reader users land on the new page. */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
