import {
  AmbientLight,
  Box3,
  type BufferGeometry,
  DirectionalLight,
  Group,
  Mesh,
  MeshStandardMaterial,
  type Object3D,
  PerspectiveCamera,
  Scene,
  Vector3,
  WebGLRenderer,
} from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { ThreeMFLoader } from "three/examples/jsm/loaders/3MFLoader.js";
import { OBJLoader } from "three/examples/jsm/loaders/OBJLoader.js";
import { STLLoader } from "three/examples/jsm/loaders/STLLoader.js";
import type { ModelFormat } from "../lib/types.ts";

/** three.js lives in this module alone, loaded on demand: the catalogue never downloads it. */

function parse(bytes: ArrayBuffer, format: ModelFormat): Object3D {
  if (format === "stl") return new Mesh(new STLLoader().parse(bytes));
  if (format === "obj") return new OBJLoader().parse(new TextDecoder().decode(bytes));
  return new ThreeMFLoader().parse(bytes);
}

/** One material for every part: the files' own colours say nothing about the material ordered. */
function paint(object: Object3D): BufferGeometry[] {
  const material = new MeshStandardMaterial({ color: 0x4f7cac, roughness: 0.6, metalness: 0.1, flatShading: true });
  const geometries: BufferGeometry[] = [];
  object.traverse((child) => {
    if (child instanceof Mesh) {
      child.material = material;
      geometries.push(child.geometry);
    }
  });
  return geometries;
}

/**
 * Shows a model in `container`, orbitable with mouse or touch, the camera fitted to its bounding box.
 * Printed parts are Z-up, so the camera is too. Renders only when the view changes. Returns a disposer.
 */
export function showModel(container: HTMLElement, bytes: ArrayBuffer, format: ModelFormat): () => void {
  const model = new Group().add(parse(bytes, format));
  const geometries = paint(model);
  const renderer = new WebGLRenderer({ antialias: true });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
  renderer.domElement.dataset.testid = "model-canvas";
  renderer.domElement.setAttribute("role", "img");
  renderer.domElement.setAttribute("aria-label", "3D view of the model: drag to turn, pinch or scroll to zoom");
  container.replaceChildren(renderer.domElement);

  const scene = new Scene();
  scene.add(model, new AmbientLight(0xffffff, 0.6));
  const sun = new DirectionalLight(0xffffff, 1.6);
  sun.position.set(1, -2, 3);
  scene.add(sun);

  const camera = new PerspectiveCamera(40, 1, 0.1, 1000);
  camera.up.set(0, 0, 1);
  const controls = new OrbitControls(camera, renderer.domElement);
  fitCamera(camera, controls, model);
  const render = () => renderer.render(scene, camera);
  controls.addEventListener("change", render);

  const resize = () => {
    const width = container.clientWidth || 320;
    const height = Math.round(Math.min(width, 480) * 0.75);
    renderer.setSize(width, height);
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
    render();
  };
  const observer = new ResizeObserver(resize);
  observer.observe(container);
  resize();

  return () => {
    observer.disconnect();
    controls.dispose();
    for (const g of geometries) g.dispose();
    renderer.dispose();
  };
}

function fitCamera(camera: PerspectiveCamera, controls: OrbitControls, model: Object3D): void {
  const box = new Box3().setFromObject(model);
  const center = box.getCenter(new Vector3());
  const radius = Math.max(box.getSize(new Vector3()).length() / 2, 1e-3);
  const distance = radius / Math.sin(((camera.fov / 2) * Math.PI) / 180);
  camera.position.copy(center).add(new Vector3(1, -1.2, 0.9).normalize().multiplyScalar(distance * 1.1));
  camera.near = distance / 100;
  camera.far = distance * 100;
  camera.updateProjectionMatrix();
  controls.target.copy(center);
  controls.update();
}
